"""Staff manage contacts, conversations, messages and deals in the Django admin."""

from datetime import UTC, datetime, timedelta

import pytest

from leads.models import Appointment
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, DealFactory, MessageFactory

CHANGELISTS = [
    "/admin/leads/contact/",
    "/admin/leads/conversation/",
    "/admin/leads/message/",
    "/admin/leads/deal/",
    "/admin/leads/appointment/",
    "/admin/leads/webhookevent/",
    "/admin/leads/outboxmessage/",
    "/admin/leads/sendledgerentry/",
    "/admin/leads/botsettings/",
    "/admin/leads/replytemplate/",
    "/admin/sellers/property/",
    "/admin/buyers/buyerprofile/",
    "/admin/compliance/auditevent/",
]


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


def test_admin_requires_a_staff_login(client, db):
    response = client.get("/admin/leads/contact/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", CHANGELISTS)
def test_every_back_office_list_opens(staff_client, url):
    assert staff_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/admin/leads/conversation/", "/admin/leads/message/", "/admin/leads/deal/"]
)
def test_list_pages_do_not_query_once_per_row(staff_client, url, django_assert_max_num_queries):
    for _ in range(3):
        MessageFactory()
        DealFactory()
    staff_client.get(url)  # warm caches (content types, session)
    for _ in range(20):
        MessageFactory()
        DealFactory()

    with django_assert_max_num_queries(12):
        response = staff_client.get(url)
    assert response.status_code == 200


def test_contact_search_finds_by_phone(staff_client):
    ContactFactory(first_name="Lucia", phone="+19095550199")
    ContactFactory(first_name="Other", phone="+19515550100")

    response = staff_client.get("/admin/leads/contact/", {"q": "+19095550199"})

    body = response.content.decode()
    assert "Lucia" in body
    assert "Other" not in body


def test_conversation_page_shows_its_messages(staff_client):
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, body="Busco casa en Fontana")

    response = staff_client.get(f"/admin/leads/conversation/{conversation.pk}/change/")

    assert "Busco casa en Fontana" in response.content.decode()


def test_the_appointment_list_shows_each_call_and_its_lead_without_a_query_per_row(
    staff_client, django_assert_max_num_queries
):
    start = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
    for n in range(20):
        Appointment.objects.create(
            contact=ContactFactory(first_name=f"Lead{n}"),
            calendar="local",
            start=start + timedelta(hours=n),
            end=start + timedelta(hours=n, minutes=30),
        )
    staff_client.get("/admin/leads/appointment/")  # warm caches (content types, session)

    with django_assert_max_num_queries(12):
        response = staff_client.get("/admin/leads/appointment/")

    assert response.status_code == 200
    assert b"Lead0" in response.content and b"Lead19" in response.content
