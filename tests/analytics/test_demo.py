from decimal import Decimal

import pytest
from django.core.management import call_command

from buyers.models import BuyerProfile
from leads.models import Contact, Conversation, Deal, Message
from sellers.models import Property


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", password="demo-pass-123")


def test_seed_demo_loads_a_few_hundred_contacts_across_every_bot(seeded):
    assert Contact.objects.count() == 300
    assert set(Conversation.objects.values_list("bot", flat=True)) == {"lead", "buyer", "seller"}
    assert Property.objects.filter(city="Riverside", status="sold").exists()
    assert Deal.objects.filter(stage=Deal.Stage.CLOSED_WON).exists()
    assert BuyerProfile.objects.exists()


def test_seed_demo_has_english_and_spanish_conversations(seeded):
    assert Message.objects.filter(
        conversation__contact__language="es", body__contains="Hola"
    ).exists()
    assert Message.objects.filter(
        conversation__contact__language="en", body__startswith="Hi"
    ).exists()


def test_seed_demo_twice_duplicates_nothing(seeded):
    before = (
        Contact.objects.count(),
        Message.objects.count(),
        Deal.objects.count(),
        Property.objects.count(),
    )

    call_command("seed_demo", password="demo-pass-123")

    after = (
        Contact.objects.count(),
        Message.objects.count(),
        Deal.objects.count(),
        Property.objects.count(),
    )
    assert after == before


def test_seed_demo_is_the_same_data_on_every_machine(seeded):
    first = list(
        Contact.objects.order_by("ghl_contact_id").values_list(
            "ghl_contact_id", "first_name", "phone"
        )[:20]
    )
    Contact.objects.all().delete()

    call_command("seed_demo", password="demo-pass-123")

    assert (
        list(
            Contact.objects.order_by("ghl_contact_id").values_list(
                "ghl_contact_id", "first_name", "phone"
            )[:20]
        )
        == first
    )


def test_seed_demo_prints_a_login_that_works(db, settings, client, capsys):
    settings.DEBUG = True
    call_command("seed_demo", password="demo-pass-123")

    assert "jorge / demo-pass-123" in capsys.readouterr().out
    assert client.login(username="jorge", password="demo-pass-123")
    assert client.get("/admin/leads/contact/").status_code == 200


def test_seed_demo_refuses_to_run_with_debug_off(db, settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    assert not Contact.objects.exists()


def test_demo_deals_follow_the_business_rules_across_the_whole_pipeline(seeded):
    deals = Deal.objects.all()

    # No demo deal sets a rate of its own: each pays what the business rules say.
    assert not deals.exclude(commission_percent_override=None).exists()
    assert set(deals.values_list("stage", flat=True)) == {
        Deal.Stage.LEAD,
        Deal.Stage.APPOINTMENT,
        Deal.Stage.ACTIVE,
        Deal.Stage.UNDER_CONTRACT,
        Deal.Stage.CLOSED_WON,
    }
    under_contract = deals.filter(stage=Deal.Stage.UNDER_CONTRACT)
    assert not under_contract.filter(expected_close_on=None).exists()
    won = deals.filter(stage=Deal.Stage.CLOSED_WON, side=Deal.Side.BUY).first()
    assert won.commission == won.value * Decimal("0.06") / 2 * Decimal("0.8")
