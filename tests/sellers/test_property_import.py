"""Importing properties from a CSV: every row checked, nothing half-imported, audited."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.models import AuditEvent
from sellers.models import Property
from sellers.services.properties import import_properties_csv
from tests.factories import UserFactory
from tests.sellers.factories import PropertyFactory

pytestmark = pytest.mark.django_db

HEADER = "mls_id,address,city,postal_code,beds,baths,living_sqft,status,sold_price,sold_date,latitude,longitude,property_type\n"
GOOD = (
    HEADER
    + 'IE-1,12 Orange St,Riverside,92503,3,2,1850,sold,"$612,000",2026-10-02,33.9533,-117.3962,sfr\n'
    + "IE-2,9 Haven Ave,Ontario,91761,4,2.5,2300,Active,,,,,Condo\n"
)


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def test_a_good_file_creates_and_updates_properties_by_mls_number():
    PropertyFactory(mls_id="IE-2", address="Old address", city="Ontario", sold_price=1)

    result = import_properties_csv(file=csv_file(GOOD), by="import-script")

    assert (result.ok, result.created, result.updated) == (True, 1, 1)
    sold = Property.objects.get(mls_id="IE-1")
    assert (sold.sold_price, str(sold.sold_date), sold.living_sqft) == (612_000, "2026-10-02", 1850)
    updated = Property.objects.get(mls_id="IE-2")
    assert (updated.address, updated.status, updated.property_type) == (
        "9 Haven Ave",
        Property.Status.ACTIVE,
        Property.Type.CONDO,
    )
    events = AuditEvent.objects.filter(action="property.imported")
    assert events.count() == 2
    assert {e.data["created"] for e in events} == {True, False}
    assert {e.actor_label for e in events} == {"import-script"}


def test_a_file_with_bad_rows_imports_nothing_and_names_each_error():
    bad = (
        GOOD
        + "IE-3,1 Main St,Corona,92882,three,2,1500,sold,500000,2026-09-01,,,sfr\n"
        + "IE-4,2 Main St,Corona,92882,3,2,1500,sold,,,,,sfr\n"
        + "IE-1,3 Main St,Corona,92882,3,2,1500,active,,,,,sfr\n"
    )

    result = import_properties_csv(file=csv_file(bad), by="import-script")

    assert not result.ok
    assert (result.created, result.updated) == (0, 0)
    assert not Property.objects.exists()
    assert not AuditEvent.objects.filter(action="property.imported").exists()
    messages = {e.line: str(e) for e in result.errors}
    assert set(messages) == {4, 5, 6}
    assert "beds" in messages[4]
    assert messages[5] == (
        "Line 5 (IE-4): sold_price: Required when the status is sold.; "
        "sold_date: Required when the status is sold."
    )
    assert "already on line 2" in messages[6]


def test_a_file_without_the_required_columns_is_refused():
    result = import_properties_csv(file=csv_file("mls_id,address,colour\nX,1 A St,red\n"), by="x")

    assert not result.ok
    assert "missing columns: city" in str(result.errors[0])
    assert "unknown columns: colour" in str(result.errors[0])


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def test_the_property_list_offers_the_csv_import(admin_client):
    response = admin_client.get(reverse("admin:sellers_property_changelist"))

    assert reverse("admin:sellers_property_import_csv") in response.content.decode()


def test_staff_import_a_good_file_from_the_admin(admin_client):
    upload = SimpleUploadedFile("homes.csv", GOOD.encode(), content_type="text/csv")

    response = admin_client.post(reverse("admin:sellers_property_import_csv"), {"file": upload})

    assert response.status_code == 302
    assert Property.objects.count() == 2
    event = AuditEvent.objects.filter(action="property.imported").first()
    assert (event.actor, event.actor_label) == (AuditEvent.Actor.HUMAN, "boss")


def test_staff_see_the_row_errors_and_nothing_is_imported(admin_client):
    bad = GOOD + "IE-3,1 Main St,Corona,92882,3,2,50,sold,500000,2026-09-01,,,sfr\n"
    upload = SimpleUploadedFile("homes.csv", bad.encode(), content_type="text/csv")

    response = admin_client.post(reverse("admin:sellers_property_import_csv"), {"file": upload})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Line 4 (IE-3): living_sqft" in page
    assert not Property.objects.exists()


def test_staff_without_permission_to_add_properties_cannot_import(client):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(reverse("admin:sellers_property_import_csv"))

    assert response.status_code == 403
