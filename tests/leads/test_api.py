"""The REST API v1 as a client meets it: tokens (scoped, revoked, audited), who reaches what,
cursor pages, the dashboard's filters on contacts, throttling, and JSON errors."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from compliance.models import AuditEvent, ConsentRecord
from compliance.services import audit
from leads.models import ApiToken, Contact, Conversation, Temperature
from leads.permissions import REVIEWERS_GROUP
from leads.services.api_tokens import issue_api_token, revoke_api_token
from tests.compliance.factories import ComplianceTicketFactory
from tests.factories import UserFactory
from tests.leads.factories import (
    ContactFactory,
    ConversationFactory,
    DealFactory,
    EscalationTicketFactory,
    MessageFactory,
    api_token_secret,
)
from tests.sellers.factories import PropertyFactory

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def jorge():
    return UserFactory(username="jorge", is_staff=True, is_superuser=True)


@pytest.fixture
def reviewer():
    user = UserFactory(username="maria", is_staff=True)
    user.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    return user


# --- Tokens -------------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_a_hash_and_its_use_is_noted(jorge):
    issued = issue_api_token(user=jorge, name="website", scope="read", by=jorge)

    token = ApiToken.objects.get()
    assert issued.secret.startswith("jrg_") and issued.secret not in token.secret_hash
    assert token.prefix == issued.secret[:10]
    assert bearer(issued.secret).get("/api/v1/contacts").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert AuditEvent.objects.filter(action="api_token.issued", actor_label="jorge").exists()


def test_a_revoked_token_is_refused_with_401(jorge):
    issued = issue_api_token(user=jorge, name="website", scope="read", by=jorge)

    assert revoke_api_token(token=issued.token, by=jorge) is True
    assert revoke_api_token(token=issued.token, by=jorge) is False

    response = bearer(issued.secret).get("/api/v1/contacts")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This API token was revoked."
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_an_unknown_token_and_no_credentials_get_401_with_the_scheme():
    unknown = bearer("jrg_not-a-token").get("/api/v1/contacts")
    anonymous = APIClient().get("/api/v1/contacts")

    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "authentication_failed"
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_read_only_token_reads_but_may_not_write(jorge):
    conversation = ConversationFactory()
    client = bearer(api_token_secret(jorge, scope="read"))

    assert client.get(f"/api/v1/conversations/{conversation.pk}").status_code == 200
    response = client.post(f"/api/v1/conversations/{conversation.pk}/pause")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "read_only_token"
    assert "read-only" in response.json()["error"]["message"]
    conversation.contact.refresh_from_db()
    assert conversation.contact.bot_paused_until is None


def test_a_token_has_no_more_rights_than_its_user():
    stranger = UserFactory(username="intern")
    response = bearer(api_token_secret(stranger)).get("/api/v1/contacts")

    assert response.status_code == 403


def test_the_back_office_shows_a_new_token_once_and_revokes_it(admin_client, jorge):
    response = admin_client.post(
        "/admin/leads/apitoken/add/",
        {"name": "Zapier", "user": jorge.pk, "scope": "read_write"},
        follow=True,
    )

    token = ApiToken.objects.get(name="Zapier")
    shown = [str(m) for m in response.context["messages"]]
    secret = next(m.split("<code>")[1].split("</code>")[0] for m in shown if "<code>" in m)
    assert bearer(secret).get("/api/v1/deals").status_code == 200
    assert (
        secret not in admin_client.get(f"/admin/leads/apitoken/{token.pk}/change/").content.decode()
    )

    admin_client.post(
        "/admin/leads/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert bearer(secret).get("/api/v1/deals").status_code == 401


# --- Who reaches what ---------------------------------------------------------------------------


def test_a_reviewer_reaches_tickets_and_their_conversations_only(reviewer):
    flagged = ConversationFactory()
    escalation = EscalationTicketFactory(conversation=flagged)
    other = ConversationFactory()
    client = bearer(api_token_secret(reviewer))

    assert client.get("/api/v1/tickets/escalations").json()["results"][0]["id"] == escalation.pk
    assert client.get("/api/v1/tickets/compliance").status_code == 200
    assert [c["id"] for c in client.get("/api/v1/conversations").json()["results"]] == [flagged.pk]
    assert client.get(f"/api/v1/conversations/{flagged.pk}/messages").status_code == 200
    assert client.get(f"/api/v1/conversations/{other.pk}").status_code == 404
    assert client.get(f"/api/v1/conversations/{other.pk}/messages").status_code == 404
    for path in ("/api/v1/contacts", "/api/v1/deals", "/api/v1/properties"):
        assert client.get(path).status_code == 403, path
    assert client.get("/api/v1/analytics/overview").status_code == 403
    assert client.post(f"/api/v1/conversations/{flagged.pk}/pause").status_code == 403


def test_a_reviewer_reads_the_conversation_of_a_compliance_ticket(reviewer):
    ticket = ComplianceTicketFactory()
    client = bearer(api_token_secret(reviewer))

    response = client.get(f"/api/v1/conversations/{ticket.conversation_id}")

    assert response.status_code == 200


# --- Reads --------------------------------------------------------------------------------------


def test_contacts_take_the_dashboards_filters(api_client):
    hot = ContactFactory(temperature=Temperature.HOT, budget_max=550_000)
    ContactFactory(temperature=Temperature.COLD, budget_max=550_000)
    ContactFactory(temperature=Temperature.HOT, budget_max=900_000)

    response = api_client.get("/api/v1/contacts", {"temperature": "hot", "budget": "500k-600k"})

    assert [c["id"] for c in response.json()["results"]] == [hot.pk]


def test_an_invalid_filter_is_a_400_that_names_it(api_client):
    response = api_client.get("/api/v1/contacts", {"temperature": "boiling"})

    assert response.status_code == 400
    assert "temperature" in response.json()["error"]["details"]


def test_a_contact_carries_its_qualification_score_history_and_consent(api_client):
    contact = ContactFactory(first_name="Maria")
    conversation = ConversationFactory(contact=contact)
    for score, temperature in ((40, "warm"), (85, "hot")):
        audit(
            action="lead.qualification_updated",
            subject=contact,
            data={"score": score, "temperature": temperature, "reasons": []},
        )
    Contact.objects.filter(pk=contact.pk).update(score=85)
    ConsentRecord.objects.create(contact=contact, kind="granted", source="web form")
    Contact.objects.filter(pk=contact.pk).update(opted_out=True, opted_out_at=timezone.now())

    body = api_client.get(f"/api/v1/contacts/{contact.pk}").json()

    assert body["first_name"] == "Maria" and body["score"] == 85
    assert [s["score"] for s in body["score_history"]] == [40, 85]
    assert body["consent"]["opted_out"] is True
    assert body["consent"]["records"][0]["source"] == "web form"
    assert body["conversations"][0]["id"] == conversation.pk


def test_lists_page_with_an_opaque_cursor_newest_first(api_client):
    conversation = ConversationFactory()
    messages = MessageFactory.create_batch(5, conversation=conversation)
    url = f"/api/v1/conversations/{conversation.pk}/messages"

    first = api_client.get(url, {"page_size": 2}).json()
    second = api_client.get(first["next"]).json()
    third = api_client.get(second["next"]).json()

    seen = [m["id"] for page in (first, second, third) for m in page["results"]]
    assert seen == [m.pk for m in reversed(messages)]
    assert third["next"] is None and first["previous"] is None
    assert api_client.get(url, {"cursor": "bogus"}).status_code == 404


def test_deals_properties_and_figures_are_read(api_client):
    deal = DealFactory(stage="under_contract", value=500_000)
    home = PropertyFactory(city="Riverside")

    assert (
        api_client.get("/api/v1/deals", {"stage": "under_contract"}).json()["results"][0]["id"]
        == deal.pk
    )
    assert api_client.get(f"/api/v1/properties/{home.pk}").json()["city"] == "Riverside"
    assert api_client.get("/api/v1/analytics/overview").json()["open_deals"] == 1
    assert "pipeline_stages" in api_client.get("/api/v1/analytics/commission").json()


def test_an_unknown_api_url_answers_json_404(api_client):
    response = api_client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- Writes through a token (the services and their audit are tested in test_conversation_apis) ---


@pytest.mark.django_db(transaction=True)
def test_each_write_works_with_a_read_write_token(jorge):
    conversation = ConversationFactory(stage=Conversation.Stage.QUALIFYING)
    client = bearer(api_token_secret(jorge))
    base = f"/api/v1/conversations/{conversation.pk}"

    assert client.post(f"{base}/pause").json() == {"changed": True}
    assert client.post(f"{base}/resume").json() == {"changed": True}
    assert client.post(f"{base}/advance-stage").json()["after"] == "qualified"
    assert client.post(f"{base}/reply", {"body": "Jorge here"}, format="json").status_code == 201
    cma = client.post(
        f"/api/v1/sellers/contacts/{conversation.contact_id}/cma",
        {"address": "1 Main St", "city": "Riverside"},
        format="json",
    )
    assert cma.status_code == 202
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"bot.paused_for_human", "bot.resumed", "conversation.stage_changed"} <= actions
    assert {"message.human_reply", "cma.requested"} <= actions


# --- Throttling ---------------------------------------------------------------------------------


def test_too_many_requests_get_429_with_retry_after(jorge, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min"})
    client = bearer(api_token_secret(jorge))

    statuses = [client.get("/api/v1/deals").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/deals")
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"
