"""Every home has a public page address (slug): given once, by the admin, the CSV import, the
demo data and the migration, and kept when the home changes."""

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from compliance.models import AuditEvent
from sellers.models import Property
from sellers.services.properties import import_properties_csv
from tests.factories import UserFactory
from tests.sellers.factories import ListingFactory

HEADER = "mls_id,address,city,postal_code,beds,baths,living_sqft,status,list_price,features\n"


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def admin_form(**overrides) -> dict:
    return {
        "mls_id": "IE-100",
        "address": "4521 Magnolia Ave",
        "city": "Riverside",
        "state": "CA",
        "postal_code": "92503",
        "property_type": "sfr",
        "beds": "3",
        "baths": "2",
        "living_sqft": "1850",
        "status": "active",
        "list_price": "575000",
        "features": "Pool, RV parking",
        "description": "",
    } | overrides


@pytest.mark.django_db
def test_a_home_added_in_the_admin_gets_a_slug_from_its_address_and_city(admin_client):
    response = admin_client.post(reverse("admin:sellers_property_add"), admin_form())

    assert response.status_code == 302, response.content.decode()[:2000]
    home = Property.objects.get(mls_id="IE-100")
    assert home.slug == "4521-magnolia-ave-riverside"
    event = AuditEvent.objects.get(action="property.saved")
    assert (event.actor_label, event.data["created"], event.data["listing_event"]) == (
        "boss",
        True,
        "new",
    )


@pytest.mark.django_db
def test_the_same_address_listed_again_gets_a_numbered_slug(admin_client):
    ListingFactory(
        address="4521 Magnolia Ave", city="Riverside", slug="4521-magnolia-ave-riverside"
    )

    admin_client.post(reverse("admin:sellers_property_add"), admin_form())

    assert Property.objects.get(mls_id="IE-100").slug == "4521-magnolia-ave-riverside-2"


@pytest.mark.django_db
def test_a_homes_slug_never_changes_so_links_already_sent_keep_working(admin_client):
    admin_client.post(reverse("admin:sellers_property_add"), admin_form())
    home = Property.objects.get(mls_id="IE-100")

    admin_client.post(
        reverse("admin:sellers_property_change", args=[home.pk]),
        admin_form(address="4523 Magnolia Ave"),
    )

    home.refresh_from_db()
    assert (home.address, home.slug) == ("4523 Magnolia Ave", "4521-magnolia-ave-riverside")


@pytest.mark.django_db
def test_the_admin_shows_the_homes_public_page(admin_client, settings):
    settings.SITE_URL = "https://homes.example.com"
    home = ListingFactory()

    page = admin_client.get(reverse("admin:sellers_property_change", args=[home.pk]))

    assert f"https://homes.example.com/p/{home.slug}/" in page.content.decode()


@pytest.mark.django_db
def test_the_csv_import_gives_new_homes_slugs_and_reads_their_features():
    text = (
        HEADER
        + 'IE-1,12 Orange St,Riverside,92503,3,2,1850,active,"$575,000","Pool, Solar panels"\n'
        + "IE-2,12 Orange St,Riverside,92503,3,2,1850,off market,,\n"
    )

    result = import_properties_csv(file=io.BytesIO(text.encode()), by="import-script")

    assert result.ok, result.errors
    first, second = Property.objects.order_by("mls_id")
    assert (first.slug, second.slug) == ("12-orange-st-riverside", "12-orange-st-riverside-2")
    assert first.feature_list == ["Pool", "Solar panels"]


@pytest.mark.django_db
def test_a_home_without_a_slug_cannot_be_saved():
    with pytest.raises(IntegrityError):
        ListingFactory(slug="")


@pytest.mark.django_db
def test_demo_homes_each_have_their_own_slug_and_features(settings):
    settings.DEBUG = True
    call_command("seed_demo", password="demo-pass-123")

    homes = Property.objects.filter(mls_id__startswith="DEMO-")
    slugs = list(homes.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs)) == 160
    assert all(slugs)
    assert not homes.filter(features="").exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_homes_unique_slugs():
    executor = MigrationExecutor(connection)
    before = [("sellers", "0003_property_slug_features")]
    after = [("sellers", "0005_property_slug_unique")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldProperty = old_apps.get_model("sellers", "Property")
    for mls, address in (("A", "9 Haven Ave"), ("B", "9 Haven Ave"), ("C", "1 Main St #4")):
        OldProperty.objects.create(
            mls_id=mls,
            address=address,
            city="Ontario",
            postal_code="91761",
            beds=3,
            baths=2,
            living_sqft=1500,
            status="active",
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert dict(Property.objects.values_list("mls_id", "slug")) == {
        "A": "9-haven-ave-ontario",
        "B": "9-haven-ave-ontario-2",
        "C": "1-main-st-4-ontario",
    }
