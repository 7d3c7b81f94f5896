"""``seed_demo --contacts N --messages M``: bulk demo data that keeps every invariant the
dashboard reads, and on which every dashboard page and admin list still works."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone

from analytics.demo_scale import load_scale_data
from compliance.models import ComplianceTicket
from leads.models import Contact, Conversation, Deal, EscalationTicket, Message
from tests.factories import UserFactory


@pytest.fixture
def scale(db):
    return load_scale_data(contacts=200, messages=2000)


def test_it_builds_the_size_asked_for(scale):
    assert Contact.objects.count() == 200
    assert Conversation.objects.count() == 200
    assert Message.objects.count() == 2000
    assert Deal.objects.exists()
    assert EscalationTicket.objects.exists() or ComplianceTicket.objects.exists()


def test_running_it_again_adds_nothing(scale):
    again = load_scale_data(contacts=200, messages=2000)

    assert again.contacts == again.messages == 0
    assert Message.objects.count() == 2000


def test_it_is_the_same_data_on_every_machine(scale):
    first = list(Contact.objects.order_by("ghl_contact_id").values_list("phone", "score"))
    Contact.objects.all().delete()

    load_scale_data(contacts=200, messages=2000)

    assert list(Contact.objects.order_by("ghl_contact_id").values_list("phone", "score")) == first


def test_conversations_carry_the_times_of_their_messages(scale):
    conversations = Conversation.objects.annotate(
        inbound=Max("messages__sent_at", filter=Q(messages__direction="inbound")),
        outbound=Max("messages__sent_at", filter=Q(messages__direction="outbound")),
        first_in=Min("messages__sent_at", filter=Q(messages__direction="inbound")),
        first_out=Min("messages__sent_at", filter=Q(messages__direction="outbound")),
    )
    for c in conversations:
        assert c.last_inbound_at == c.inbound
        assert c.last_outbound_at == c.outbound
        if c.first_out:
            expected = (c.first_out - c.first_in).total_seconds()
            assert c.first_response_seconds == pytest.approx(expected, abs=0.1)


def test_no_message_waits_for_a_bot_turn(scale):
    assert not Message.objects.filter(direction="inbound", handled_at__isnull=True).exists()
    assert not Message.objects.filter(sent_at__gt=timezone.now()).exists()


def test_leads_vary_like_a_real_business(scale):
    for field in ("temperature", "intent", "timeline", "language", "source"):
        assert Contact.objects.values(field).distinct().count() >= 2, field
    assert Conversation.objects.values("stage").distinct().count() >= 5
    oldest = Message.objects.aggregate(oldest=Min("sent_at"))["oldest"]
    assert oldest < timezone.now() - timedelta(days=120)
    per_conversation = sorted(
        Conversation.objects.annotate(n=Count("messages")).values_list("n", flat=True)
    )
    assert per_conversation[0] < 5 < per_conversation[-1]


def test_temperatures_follow_scores_and_opt_outs_have_their_time(scale):
    for contact in Contact.objects.all():
        expected = "hot" if contact.score >= 70 else "warm" if contact.score >= 40 else "cold"
        assert contact.temperature == expected
        assert not contact.opted_out or contact.opted_out_at is not None


def test_the_command_builds_totals_on_top_of_the_demo(db, settings):
    settings.DEBUG = True
    out = StringIO()

    call_command("seed_demo", password="demo-pass-123", contacts=1200, messages=6000, stdout=out)

    assert Contact.objects.count() == 1200  # the demo (with its past leads) holds fewer
    assert Message.objects.count() == 6000
    assert "Bulk data:" in out.getvalue()


DASHBOARD_PAGES = [
    "dashboard:overview",
    "dashboard:overview-kpis",
    "dashboard:overview-activity",
    "dashboard:overview-charts",
    "dashboard:leads",
    "dashboard:conversations",
    "dashboard:commission",
    "dashboard:tickets",
    "dashboard:tickets-queue",
]
ADMIN_LISTS = ["contact", "conversation", "message", "deal", "escalationticket"]


def test_every_dashboard_page_and_admin_list_works_on_it(scale, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    busiest = (
        Conversation.objects.annotate(n=Count("messages")).order_by("-n").values_list("pk")[0][0]
    )
    urls = [reverse(name) for name in DASHBOARD_PAGES]
    urls += [
        reverse("dashboard:conversations") + "?sort=-score&temperature=hot&page=2",
        reverse("dashboard:leads") + "?budget=500k-600k&stage=nurture",
        reverse("dashboard:conversations-detail", args=[busiest]),
    ]
    urls += [f"/admin/leads/{model}/" for model in ADMIN_LISTS]
    urls += ["/admin/leads/message/?q=pool", "/admin/leads/contact/?q=garc"]
    urls += ["/admin/compliance/complianceticket/"]

    for url in urls:
        assert client.get(url).status_code == 200, url
