"""Listing alerts: a new or re-priced listing is texted to the buyers it fits, once per price,
under the rules of every automated message."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from buyers.models import ListingAlert
from buyers.services.alerts import MAX_ALERTS_PER_DAY, send_listing_alerts
from compliance.models import AuditEvent
from leads.models import BotSettings, Conversation, Message, OutboxMessage
from leads.services.messaging import send_due_messages
from sellers.models import Property
from sellers.services.properties import import_properties_csv
from tests.buyers.factories import BuyerProfileFactory
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory
from tests.sellers.factories import ListingFactory

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 10:00 in California
NIGHT = datetime(2026, 6, 11, 6, 0, tzinfo=UTC)  # 23:00 in California
HEADER = "mls_id,address,city,postal_code,beds,baths,living_sqft,status,list_price,features\n"


@pytest.fixture(autouse=True)
def _daytime(settings):
    settings.SITE_URL = "https://homes.example.com"
    with time_machine.travel(MORNING, tick=False):
        yield


def buyer(*, language="en", first_name="Ana", conversation=None, **contact):
    """A buyer with $600k looking in Riverside for 3+ beds and a pool, with an SMS thread."""
    values = {"first_name": first_name, "language": language, "intent": "buyer"}
    contact = ContactFactory(**({"budget_max": 600_000} | values | contact))
    BuyerProfileFactory(
        contact=contact, cities=["Riverside"], beds_min=3, baths_min=Decimal("2"), must_haves="Pool"
    )
    thread = {
        "stage": Conversation.Stage.QUALIFYING,
        "last_inbound_at": timezone.now() - timedelta(hours=2),
    }
    ConversationFactory(contact=contact, **(thread | (conversation or {})))
    return contact


def alerts_to(contact) -> list[Message]:
    return list(
        Message.objects.filter(
            conversation__contact=contact,
            direction="outbound",
            ai_metadata__has_key="listing_alert",
        ).order_by("id")
    )


def texts_sent_to(contact) -> list[str]:
    return [
        o.request_body["message"]
        for o in OutboxMessage.objects.filter(
            operation="send_message", ghl_contact_id=contact.ghl_contact_id
        ).order_by("id")
    ]


def import_listing(price: int, *, mls_id="IE-1", features="Pool", status="active") -> Property:
    text = (
        HEADER + f'{mls_id},12 Orange St,Riverside,92503,3,2,1850,{status},{price},"{features}"\n'
    )
    result = import_properties_csv(file=io.BytesIO(text.encode()), by="import-script")
    assert result.ok, result.errors
    return Property.objects.get(mls_id=mls_id)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def reprice_in_admin(admin_client, home: Property, price: int) -> None:
    data = {
        "mls_id": home.mls_id,
        "address": home.address,
        "city": home.city,
        "state": home.state,
        "postal_code": home.postal_code,
        "property_type": home.property_type,
        "beds": home.beds,
        "baths": home.baths,
        "living_sqft": home.living_sqft,
        "status": home.status,
        "list_price": price,
        "features": home.features,
        "description": home.description,
    }
    response = admin_client.post(reverse("admin:sellers_property_change", args=[home.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]


# --- A new listing -------------------------------------------------------------------------


def test_a_new_listing_that_fits_is_texted_to_the_buyer_once_it_is_saved(
    django_capture_on_commit_callbacks,
):
    ana = buyer()

    with django_capture_on_commit_callbacks(execute=True):
        home = import_listing(575_000)

    link = f"https://homes.example.com/p/{home.slug}/"
    assert texts_sent_to(ana) == [
        "Hi Ana, a home for sale fits what you're looking for: Riverside, 3 bd/2 ba, $575,000. "
        f"{link} Reply here if you'd like to see it."
    ]
    alert = ListingAlert.objects.get()
    assert (alert.contact, alert.listing, alert.price, alert.score) == (ana, home, 575_000, 100)
    assert alert.message.status == Message.Status.SENT
    queued = AuditEvent.objects.get(action="listing_alert.queued")
    assert queued.data["explanation"][0] == [
        "price",
        40,
        "$575,000 is within the budget (up to $600,000)",
    ]
    run = AuditEvent.objects.get(action="listing_alert.run")
    assert (run.data["fitting_buyers"], run.data["alerted"]) == (1, [ana.pk])


def test_a_spanish_speaker_gets_the_alert_in_spanish_with_a_spanish_page(
    django_capture_on_commit_callbacks,
):
    lupe = buyer(language="es", first_name="Lupe")

    with django_capture_on_commit_callbacks(execute=True):
        home = import_listing(575_000)

    assert texts_sent_to(lupe) == [
        "Hola Lupe, una casa en venta encaja con lo que busca: Riverside, 3 rec/2 baños, $575,000. "
        f"https://homes.example.com/p/{home.slug}/?lang=es Responda aquí si le gustaría verla."
    ]


def test_buyers_the_listing_does_not_fit_hear_nothing(django_capture_on_commit_callbacks):
    small_budget = buyer(budget_max=450_000)
    elsewhere = buyer()
    elsewhere.buyer_profile.cities = ["Temecula"]
    elsewhere.buyer_profile.save()
    seller = ContactFactory(intent="seller")
    ConversationFactory(contact=seller)

    with django_capture_on_commit_callbacks(execute=True):
        import_listing(575_000)

    assert not ListingAlert.objects.exists()
    assert not texts_sent_to(small_budget) and not texts_sent_to(elsewhere)
    assert not texts_sent_to(seller)


def test_sold_homes_loaded_as_comparables_alert_nobody(django_capture_on_commit_callbacks):
    buyer()

    text = (
        "mls_id,address,city,postal_code,beds,baths,living_sqft,status,list_price,sold_price,sold_date\n"
        "IE-9,1 Main St,Riverside,92503,3,2,1850,sold,575000,570000,2026-05-01\n"
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert import_properties_csv(file=io.BytesIO(text.encode()), by="x").ok

    assert callbacks == []
    assert not ListingAlert.objects.exists()


# --- Once per listing and price ------------------------------------------------------------


def test_the_same_listing_at_the_same_price_is_never_sent_twice(
    django_capture_on_commit_callbacks, admin_client
):
    ana = buyer()
    with django_capture_on_commit_callbacks(execute=True):
        home = import_listing(575_000)

    send_listing_alerts(property_id=home.pk)  # the task run again (a redelivery)
    with django_capture_on_commit_callbacks(execute=True):
        import_listing(575_000, features="Pool, Solar panels")  # saved again, same price

    assert len(alerts_to(ana)) == 1
    assert ListingAlert.objects.count() == 1


def test_a_price_drop_is_news_to_a_buyer_who_was_sent_the_listing(
    django_capture_on_commit_callbacks, admin_client
):
    ana = buyer()
    with django_capture_on_commit_callbacks(execute=True):
        home = import_listing(590_000)

    with django_capture_on_commit_callbacks(execute=True):
        reprice_in_admin(admin_client, home, 565_000)

    assert texts_sent_to(ana)[-1] == (
        "Hi Ana, the home in Riverside I sent you has a new price: $565,000 (was $590,000). "
        f"https://homes.example.com/p/{home.slug}/"
    )
    assert list(ListingAlert.objects.order_by("id").values_list("price", flat=True)) == [
        590_000,
        565_000,
    ]
    saved = AuditEvent.objects.filter(action="property.saved").get()
    assert (saved.actor_label, saved.data["listing_event"]) == ("boss", "repriced")


def test_a_price_rise_is_not_sent_to_a_buyer_who_had_it_cheaper(
    django_capture_on_commit_callbacks, admin_client
):
    ana = buyer()
    with django_capture_on_commit_callbacks(execute=True):
        home = import_listing(565_000)

    with django_capture_on_commit_callbacks(execute=True):
        reprice_in_admin(admin_client, home, 590_000)

    assert len(alerts_to(ana)) == 1
    run = AuditEvent.objects.filter(action="listing_alert.run").latest("id")
    assert run.data["held_back"] == {str(ana.pk): "already alerted at this price or lower"}


def test_a_listing_repriced_into_a_buyers_budget_reaches_them(
    django_capture_on_commit_callbacks, admin_client
):
    ana = buyer()
    with django_capture_on_commit_callbacks(execute=True):
        home = import_listing(700_000)
    assert alerts_to(ana) == []

    with django_capture_on_commit_callbacks(execute=True):
        reprice_in_admin(admin_client, home, 599_000)

    assert texts_sent_to(ana) == [
        "Hi Ana, a home for sale fits what you're looking for: Riverside, 3 bd/2 ba, $599,000. "
        f"https://homes.example.com/p/{home.slug}/ Reply here if you'd like to see it."
    ]


def test_a_listing_withdrawn_before_the_task_runs_alerts_nobody():
    ana = buyer()
    home = ListingFactory(status=Property.Status.OFF_MARKET)

    run = send_listing_alerts(property_id=home.pk)

    assert not run.listed
    assert alerts_to(ana) == []


# --- The sending rules ---------------------------------------------------------------------


def held_back(contact) -> str:
    return AuditEvent.objects.get(
        action="listing_alert.held_back", subject_id=str(contact.pk)
    ).data["why"]


def test_an_opted_out_buyer_gets_no_alert_and_the_decision_is_audited():
    ana = buyer(opted_out=True, opted_out_at=timezone.now())
    home = ListingFactory(features="Pool")

    send_listing_alerts(property_id=home.pk)

    assert alerts_to(ana) == [] and texts_sent_to(ana) == []
    assert not ListingAlert.objects.exists()
    assert held_back(ana) == "contact opted out or on do-not-disturb"


def test_a_buyer_on_do_not_disturb_gets_no_alert():
    ana = buyer(dnd=True)

    send_listing_alerts(property_id=ListingFactory().pk)

    assert alerts_to(ana) == []
    assert held_back(ana) == "contact opted out or on do-not-disturb"


def test_a_buyer_whose_bot_a_person_paused_gets_no_alert():
    ana = buyer(bot_paused_until=timezone.now() + timedelta(hours=5))

    send_listing_alerts(property_id=ListingFactory().pk)

    assert alerts_to(ana) == []
    assert held_back(ana) == "a human has taken over"


@pytest.mark.parametrize(
    ("conversation", "why"),
    [
        ({"stage": Conversation.Stage.HANDED_OFF}, "conversation handed_off"),
        ({"status": Conversation.Status.PAUSED}, "conversation paused"),
        ({"status": Conversation.Status.CLOSED}, "conversation closed"),
    ],
)
def test_a_buyer_handed_to_a_person_or_closed_gets_no_alert(conversation, why):
    ana = buyer(conversation=conversation)

    send_listing_alerts(property_id=ListingFactory().pk)

    assert alerts_to(ana) == []
    assert held_back(ana) == why


def test_the_kill_switch_stops_alerts():
    BotSettings.objects.update_or_create(pk=1, defaults={"bots_enabled": False})
    ana = buyer()

    send_listing_alerts(property_id=ListingFactory().pk)

    assert alerts_to(ana) == []
    assert held_back(ana) == "kill switch: all bots are stopped"


def test_an_alert_decided_at_night_waits_for_the_morning(django_capture_on_commit_callbacks):
    ana = buyer()
    home = ListingFactory()

    with time_machine.travel(NIGHT, tick=False), django_capture_on_commit_callbacks(execute=True):
        send_listing_alerts(property_id=home.pk)

    (alert,) = alerts_to(ana)
    assert alert.status == Message.Status.QUEUED
    assert alert.scheduled_for == datetime(2026, 6, 11, 15, 0, tzinfo=UTC)  # 08:00 in California
    assert texts_sent_to(ana) == []

    with (
        time_machine.travel(datetime(2026, 6, 11, 15, 1, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_due_messages()

    assert len(texts_sent_to(ana)) == 1


def test_no_buyer_gets_more_than_the_daily_number_of_alerts():
    ana = buyer()
    homes = ListingFactory.create_batch(MAX_ALERTS_PER_DAY + 1)

    for home in homes:
        send_listing_alerts(property_id=home.pk)

    assert len(alerts_to(ana)) == MAX_ALERTS_PER_DAY
    assert held_back(ana) == f"already {MAX_ALERTS_PER_DAY} listing alerts in 24 hours"

    with time_machine.travel(MORNING + timedelta(hours=25), tick=False):
        send_listing_alerts(property_id=homes[-1].pk)
    assert len(alerts_to(ana)) == MAX_ALERTS_PER_DAY + 1


def test_an_alert_by_email_has_a_subject():
    ana = buyer(conversation={"channel": "email"})

    send_listing_alerts(property_id=ListingFactory().pk)

    (alert,) = alerts_to(ana)
    assert (alert.channel, alert.subject) == (
        "email",
        "A home for sale that fits what you're looking for",
    )


def test_a_buyer_without_a_conversation_is_held_back():
    contact = ContactFactory(intent="buyer", budget_max=600_000, area="Riverside")

    send_listing_alerts(property_id=ListingFactory().pk)

    assert held_back(contact) == "no conversation"
