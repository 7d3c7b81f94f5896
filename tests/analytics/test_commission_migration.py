"""The migration that moved the commission rate from every deal to the business rules."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("leads", "0010_dashboard_conversation_indexes")]
AFTER = [("leads", "0011_deal_commission_override_and_expected_close")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema():
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_deals_at_the_old_default_follow_the_business_rate_and_others_keep_their_commission(
    old_schema,
):
    Contact = old_schema.get_model("leads", "Contact")
    Deal = old_schema.get_model("leads", "Deal")
    contact = Contact.objects.create(ghl_contact_id="c1", ghl_location_id="loc")
    rates = {"default": "0.0250", "negotiated": "0.0300", "odd": "0.0800"}
    for name, rate in rates.items():
        Deal.objects.create(
            contact=contact, name=name, side="buy", value=500_000, commission_rate=rate
        )

    apps = migrate(AFTER)

    Deal = apps.get_model("leads", "Deal")
    overrides = dict(Deal.objects.values_list("name", "commission_percent_override"))
    assert overrides["default"] is None  # the business's rate (6%) from now on
    # 3% of the price for Jorge's side was 6% for both sides at the 50/50 split of the time.
    assert overrides["negotiated"] == Decimal("6.00")
    assert overrides["odd"] == Decimal("10.00")  # 16% would break the new ceiling


def test_the_migration_can_be_reversed(old_schema):
    apps = migrate(AFTER)
    Contact = apps.get_model("leads", "Contact")
    Deal = apps.get_model("leads", "Deal")
    contact = Contact.objects.create(ghl_contact_id="c1", ghl_location_id="loc")
    Deal.objects.create(
        contact=contact, name="n", side="buy", value=1, commission_percent_override="4.00"
    )

    apps = migrate(BEFORE)

    assert apps.get_model("leads", "Deal").objects.get().commission_rate == Decimal("0.02")
