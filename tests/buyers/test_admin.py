"""Staff find buyers by what they are looking for."""

import pytest

from tests.buyers.factories import BuyerProfileFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_search_buyer_profiles_by_must_haves(client):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    BuyerProfileFactory(contact__first_name="Pool", must_haves="Pool and a big yard")
    BuyerProfileFactory(contact__first_name="Condo", must_haves="Low HOA")

    body = client.get("/admin/buyers/buyerprofile/", {"q": "pool"}).content.decode()

    assert "Pool" in body and "Condo" not in body


def test_a_contact_has_at_most_one_buyer_profile():
    from django.db import IntegrityError

    profile = BuyerProfileFactory()
    with pytest.raises(IntegrityError):
        BuyerProfileFactory(contact=profile.contact)
