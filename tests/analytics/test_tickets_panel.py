"""The tickets panel: open tickets of both kinds by SLA, overdue ones marked, linked to the
admin, for Jorge, staff and reviewers."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from analytics import selectors
from leads.permissions import REVIEWERS_GROUP
from tests.compliance.factories import ComplianceTicketFactory
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, EscalationTicketFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def escalation(*, due_in, age=timedelta(minutes=10), **fields):
    return EscalationTicketFactory(created_at=NOW - age, due_at=NOW + due_in, **fields)


def test_open_tickets_of_both_kinds_come_soonest_due_first_and_resolved_ones_stay_out(now):
    later = escalation(due_in=timedelta(hours=3))
    overdue = escalation(due_in=-timedelta(minutes=25), priority="urgent")
    compliance = ComplianceTicketFactory(due_at=NOW + timedelta(minutes=20))
    escalation(due_in=-timedelta(days=1), status="resolved", resolved_at=NOW)

    queue = selectors.open_ticket_queue()

    assert [(row.kind, row.pk) for row in queue.rows] == [
        ("escalation", overdue.pk),
        ("compliance", compliance.pk),
        ("escalation", later.pk),
    ]
    assert [(row.overdue, row.due_soon) for row in queue.rows] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    assert (queue.open, queue.overdue, queue.due_soon) == (3, 1, 1)
    assert (queue.escalations, queue.compliance, queue.not_shown) == (2, 1, 0)


def test_the_panel_marks_overdue_rows_and_links_each_ticket_to_its_admin_page(
    dashboard_client, now
):
    contact = ContactFactory(first_name="Rosa", last_name="Diaz")
    ticket = escalation(
        due_in=-timedelta(minutes=25),
        age=timedelta(hours=1, minutes=25),
        conversation=ConversationFactory(contact=contact),
    )
    compliance = ComplianceTicketFactory(due_at=NOW + timedelta(hours=3, minutes=59))

    html = dashboard_client.get(reverse("dashboard:tickets")).content.decode()

    assert f'<tr class="overdue" data-feed-key="escalation-{ticket.pk}"' in html
    assert "Overdue 25m" in html and "1h 25m" in html and "Rosa Diaz" in html
    assert reverse("admin:leads_escalationticket_change", args=[ticket.pk]) in html
    assert reverse("admin:compliance_complianceticket_change", args=[compliance.pk]) in html
    assert "Due in 3h 59m" in html


def test_with_no_open_tickets_the_panel_says_so(dashboard_client):
    html = dashboard_client.get(reverse("dashboard:tickets")).content.decode()

    assert "No open tickets." in html


def test_a_reviewer_works_from_the_panel(client, now):
    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    client.force_login(maria)
    ticket = escalation(due_in=timedelta(minutes=30))

    page = client.get(reverse("dashboard:tickets"))
    queue = client.get(reverse("dashboard:tickets-queue"))

    assert page.status_code == queue.status_code == 200
    assert f"Escalation #{ticket.pk}" in queue.content.decode()
    # The link leads somewhere she may go: the reviewers group may change tickets.
    admin_page = client.get(reverse("admin:leads_escalationticket_change", args=[ticket.pk]))
    assert admin_page.status_code == 200


@pytest.mark.parametrize("count", [2, 25])
def test_the_panel_costs_the_same_queries_however_many_tickets(
    dashboard_client, django_assert_max_num_queries, now, count
):
    for n in range(count):
        escalation(due_in=timedelta(minutes=n - 5))
        ComplianceTicketFactory(due_at=NOW + timedelta(minutes=n))

    # session + user + the reviewers check, two lists, two counts
    with django_assert_max_num_queries(3 + 4):
        response = dashboard_client.get(reverse("dashboard:tickets-queue"))

    assert response.content.decode().count("<tr class") == 2 * count


def test_a_long_queue_shows_the_soonest_due_and_links_the_rest_to_the_admin(
    dashboard_client, admin_client, now
):
    for n in range(40):
        escalation(due_in=timedelta(minutes=2 * n - 30))
        ComplianceTicketFactory(due_at=NOW + timedelta(minutes=2 * n + 1 - 30))

    html = dashboard_client.get(reverse("dashboard:tickets-queue")).content.decode()

    # 80 open: all counted, the 50 soonest due listed (25 of each kind, interleaved).
    assert 'data-kpi="tickets_open" data-value="80"' in html
    assert html.count("<tr class") == selectors.TICKETS_SHOWN == 50
    assert "30 more open tickets, due later, in the back office" in html
    rest = reverse("admin:leads_escalationticket_changelist") + "?status__in=open,assigned"
    assert rest in html
    admin_list = admin_client.get(rest)
    assert admin_list.status_code == 200 and "40 escalation" in admin_list.content.decode()
