import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from analytics.demo import README_PHONES, demo_phone
from analytics.demo_activity import load_demo_activity
from buyers.models import BuyerProfile, ListingAlert
from compliance.models import AuditEvent, ComplianceTicket
from leads.models import (
    Appointment,
    Contact,
    Conversation,
    Deal,
    EscalationTicket,
    Message,
    OutboxMessage,
    WebhookEvent,
)
from sellers.models import CMAReport, Property
from tests.conftest import log_in
from tests.factories import UserFactory


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", password="demo-pass-123")


def test_seed_demo_loads_a_few_hundred_contacts_across_every_bot(seeded):
    assert Contact.objects.filter(ghl_contact_id__startswith="demo-contact-").count() == 300
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
    assert log_in(client, "jorge", "demo-pass-123")
    assert client.get("/admin/leads/contact/").status_code == 200


def test_seed_demo_prints_the_login_at_the_address_served(db, settings, capsys):
    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8001"  # what dev.py run passes when it serves there

    call_command("seed_demo", password="demo-pass-123")

    assert "Log in at http://127.0.0.1:8001/admin/ as jorge" in capsys.readouterr().out


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
        Deal.Stage.CLOSED_LOST,  # the past leads' (analytics.demo_outcomes)
    }
    under_contract = deals.filter(stage=Deal.Stage.UNDER_CONTRACT)
    assert not under_contract.filter(expected_close_on=None).exists()
    won = deals.filter(stage=Deal.Stage.CLOSED_WON, side=Deal.Side.BUY).first()
    assert won.commission == won.value * Decimal("0.06") / 2 * Decimal("0.8")


# --- The first run's back office is not empty ---------------------------------------------------

# A weekday morning in California: the bots answer at once (no quiet-hours hold).
WEEKDAY_MORNING = "2026-11-18T18:00:00+00:00"


@pytest.fixture
def seeded_now(transactional_db, settings, time_machine):
    """The demo seeded as ``dev.py run`` does: real commits, so the webhooks' processing (on
    commit) runs as it does there, before the tickets are worked."""
    settings.DEBUG = True
    time_machine.move_to(WEEKDAY_MORNING, tick=False)
    call_command("seed_demo", password="demo-pass-123")


def _back_office_counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            WebhookEvent,
            OutboxMessage,
            EscalationTicket,
            ComplianceTicket,
            CMAReport,
            AuditEvent,
            Message,
            Contact,
            Appointment,
            ListingAlert,
            Property,
        )
    }


def test_the_recent_activity_went_through_the_real_product(seeded_now):
    # HighLevel's webhooks, processed by the real handlers and bots.
    events = WebhookEvent.objects.filter(dedupe_key__contains="demo-live")
    assert events.count() >= 20
    assert set(events.values_list("status", flat=True)) == {"processed"}
    assert set(events.values_list("event_type", flat=True)) == {"ContactCreate", "InboundMessage"}
    # The bots answered through HighLevel's outbox, and tagged, tasked and booked there too.
    operations = set(OutboxMessage.objects.values_list("operation", flat=True))
    assert {"send_message", "add_tags", "create_task", "create_appointment"} <= operations
    spanish = Message.objects.get(
        conversation__contact__ghl_contact_id="demo-live-02", body__startswith="¡Hola Lucía"
    )
    assert spanish.sender == "bot"
    booked = Appointment.objects.get()  # the hot buyer picked one of Jorge's free times
    assert booked.contact.ghl_contact_id == "demo-live-07" and booked.status == "booked"
    assert ListingAlert.objects.filter(listing__mls_id="LIVE-IE0001").exists()
    # Tickets in every state, worked by Jorge; the lead's SSN never stored.
    tickets = {t.reason: t for t in EscalationTicket.objects.select_related("assignee")}
    assert tickets["asked_for_person"].status == "assigned"
    assert tickets["asked_for_person"].assignee.username == "jorge"
    assert tickets["anger_or_complaint"].status == "resolved"
    assert "booked a showing" in tickets["anger_or_complaint"].resolution_note
    assert ComplianceTicket.objects.get(category="ssn").status == "resolved"
    assert not Message.objects.filter(body__contains="612-44-9087").exists()
    # CMA reports with their PDFs: one the seller bot asked for, two Jorge did.
    reports = CMAReport.objects.all()
    assert reports.count() == 3
    for report in reports:
        assert report.status == "ready" and report.estimate_mid
        assert report.pdf.read().startswith(b"%PDF")
    # And the audit trail of all of it.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "bot.turn",
        "booking.booked",
        "escalation.opened",
        "escalation.assigned",
        "escalation.resolved",
        "compliance.ticket_opened",
        "compliance.ticket_resolved",
        "contact.opted_out",
        "cma.requested",
        "cma.ready",
        "property.imported",
    } <= actions
    assert AuditEvent.objects.filter(actor="human", actor_label="jorge").exists()


def test_seeding_again_adds_no_activity_twice(seeded_now):
    before = _back_office_counts()

    call_command("seed_demo", password="demo-pass-123")

    assert _back_office_counts() == before


def test_the_demo_never_reaches_the_network_even_with_real_keys_configured(
    transactional_db, settings, time_machine
):
    settings.GHL_API_TOKEN = "pit-real-looking-token"
    settings.ANTHROPIC_API_KEY = "sk-ant-real-looking-key"
    time_machine.move_to(WEEKDAY_MORNING, tick=False)

    load_demo_activity(user=UserFactory(username="jorge"))

    # HighLevel calls landed in the outbox (a real client would have raised: no network here).
    assert OutboxMessage.objects.filter(operation="send_message").exists()
    engines = set(
        Message.objects.filter(sender="bot").values_list("ai_metadata__engine", flat=True)
    )
    assert "offline" in engines and "claude" not in engines  # no call to Anthropic...
    reasons = Message.objects.filter(sender="bot").values_list(
        "ai_metadata__fallback_reason", flat=True
    )
    assert not any(reasons)  # ...not even one that failed and fell back
    assert settings.GHL_API_TOKEN == "pit-real-looking-token"  # the configuration is left as it was


def test_every_back_office_page_has_something_on_the_first_run(seeded_now, admin_client):
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        listing = admin_client.get(
            f"/admin/{info[0]}/{info[1]}/", follow=True
        )  # singletons redirect
        assert listing.status_code == 200, info
        first = model_admin.get_queryset(listing.wsgi_request).first()
        if model._meta.label_lower in {
            "auth.group",
            "leads.apitoken",
            "axes.accessattempt",
            "axes.accessfailurelog",
        }:
            # Groups (reviewers) aside, no API token exists until one is made, and no failed
            # login until someone types a wrong password.
            continue
        assert first is not None, f"{model._meta.verbose_name_plural} is empty on the first run"
        page = admin_client.get(f"/admin/{info[0]}/{info[1]}/{first.pk}/change/")
        assert page.status_code == 200, info
        form = page.context["adminform"].form
        if not form.fields:
            assert b'name="_save"' not in page.content, f"{info}: read-only page with Save"


# --- The README's example phones ------------------------------------------------------------------


def test_the_readme_examples_text_from_the_phones_the_demo_keeps_free():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()

    phones = set(re.findall(r"--phone (\+\d+)", readme))

    assert phones == README_PHONES


def test_the_demo_refuses_to_give_a_contact_a_readme_phone():
    with pytest.raises(ValueError, match="README"):
        demo_phone("+17145550100")


def test_the_readme_example_after_the_demo_starts_a_new_conversation(seeded_now):
    assert not Contact.objects.filter(phone__in=README_PHONES).exists()
    conversations = Conversation.objects.count()

    call_command(
        "simulate_inbound",
        phone="+17145550100",
        text="Hi, I want to sell my house",
        wait=0,
        stdout=StringIO(),
    )

    contact = Contact.objects.get(phone="+17145550100")
    assert contact.ghl_contact_id.startswith("sim-")
    assert Conversation.objects.count() == conversations + 1
    assert list(
        Message.objects.filter(conversation__contact=contact).values_list("direction", flat=True)
    ) == ["inbound", "outbound"]
