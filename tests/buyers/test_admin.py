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


def test_staff_see_financial_assessments_by_source_and_cannot_change_them(client):
    from decimal import Decimal

    from buyers.models import FinancialAssessment

    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    review = BuyerProfileFactory(contact__first_name="Review").contact
    ready = BuyerProfileFactory(contact__first_name="Ready").contact
    common = {"requires_review": False, "confidence": Decimal("0.80")}
    FinancialAssessment.objects.create(
        contact=review, source="conservative", pre_approved=False, **common
    )
    assessment = FinancialAssessment.objects.create(
        contact=ready, source="heuristics", pre_approved=True, **common
    )

    body = client.get(
        "/admin/buyers/financialassessment/", {"source__exact": "conservative"}
    ).content.decode()

    assert "Review" in body and "Ready" not in body
    change = client.get(f"/admin/buyers/financialassessment/{assessment.pk}/change/")
    assert change.status_code == 200
    assert b'name="_save"' not in change.content  # read-only: nothing to save
    assert client.get("/admin/buyers/financialassessment/add/").status_code == 403


def test_buyer_search_finds_must_have_fragments_names_and_phones_through_indexes():
    from django.contrib import admin
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from buyers.models import BuyerProfile

    pool = BuyerProfileFactory(
        contact__first_name="Ana", contact__last_name="Martínez", must_haves="RV parking, a pool"
    )
    pool.contact.phone = "+19515550199"
    pool.contact.save()
    condo = BuyerProfileFactory(contact__first_name="Condo", must_haves="Low HOA")
    model_admin = admin.site._registry[BuyerProfile]

    def search(term):
        found, _ = model_admin.get_search_results(None, BuyerProfile.objects.all(), term)
        return set(found.values_list("pk", flat=True))

    assert search("POOL") == {pool.pk}  # a fragment of the must-haves, any case
    assert search("parking") == {pool.pk}
    assert search("mart") == {pool.pk}  # the start of the buyer's name
    assert search("(951) 555-0199") == {pool.pk}
    assert search("hoa") == {condo.pk}
    assert search("zzz") == set()

    with CaptureQueriesContext(connection) as captured:
        search("pool")
    for sql in (q["sql"] for q in captured.captured_queries):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(f"EXPLAIN {sql}")
                plan = [row[0] for row in cursor.fetchall()]
                assert not [line for line in plan if "Seq Scan on buyers_buyerprofile" in line]
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                plan = [row[-1].strip() for row in cursor.fetchall()]
                assert "SCAN buyers_buyerprofile" not in plan, plan
