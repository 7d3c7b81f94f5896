"""Financial readiness: the provider faked at its HTTP transport (httpx.MockTransport), so our
real client, retries and fallbacks run. Waits are recorded, never slept."""

import json
import random
from decimal import Decimal

import httpx
import pytest
from django.db import transaction

from buyers.models import FinancialAssessment
from buyers.services import financial
from buyers.services.financial import (
    FinancialFacts,
    HttpFinancialProvider,
    assess_financial_readiness,
    heuristic_assessment,
)
from buyers.tasks import assess_financial_readiness_task
from compliance.models import AuditEvent
from leads.models import EscalationTicket
from tests.buyers.factories import BuyerProfileFactory
from tests.leads.factories import ConversationFactory

pytestmark = pytest.mark.django_db

URL = "https://assess.example.test/v1/readiness"
TOKEN = "test-token"
VERDICT = {
    "pre_approved": True,
    "requires_review": False,
    "confidence": 0.92,
    "max_purchase_price": 520_000,
    "reasons": ["verified pre-approval letter"],
}


class FakeProvider:
    """Answers each request with the next scripted response (or raises the scripted error)."""

    def __init__(self, *script):
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return step


def ok(body=None) -> httpx.Response:
    return httpx.Response(200, json=VERDICT if body is None else body)


@pytest.fixture
def waits():
    """The waits the retry wrapper asked for, instead of sleeping them."""
    return []


@pytest.fixture
def provider(waits):
    def build(*script):
        fake = FakeProvider(*script)
        client = HttpFinancialProvider(
            url=URL,
            token=TOKEN,
            transport=httpx.MockTransport(fake),
            sleep=waits.append,
            rng=random.Random(7),
        )
        client.fake = fake
        return client

    return build


@pytest.fixture
def buyer():
    """A buyer who said they are pre-approved for 500k, shopping up to 450k, 20% down."""
    profile = BuyerProfileFactory(
        contact__first_name="Ana",
        contact__last_name="Lopez",
        contact__budget_max=450_000,
        contact__timeline="1_3_months",
        preapproval_status="pre_approved",
        preapproval_lender="Chase",
        preapproval_amount=500_000,
        down_payment_percent=Decimal("20.00"),
    )
    ConversationFactory(contact=profile.contact)
    return profile.contact


# --- The provider's paths ----------------------------------------------------------------------


def test_a_provider_answer_on_the_first_try_is_stored_as_the_providers(buyer, provider, waits):
    client = provider(ok())

    assessment = assess_financial_readiness(contact=buyer, provider=client)

    assert assessment.source == FinancialAssessment.Source.PROVIDER
    assert (assessment.pre_approved, assessment.confidence, assessment.max_purchase_price) == (
        True,
        Decimal("0.92"),
        520_000,
    )
    assert assessment.provider_attempts == 1 and waits == []
    [request] = client.fake.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    sent = json.loads(request.content)
    assert (sent["preapproval_amount"], sent["budget_max"], sent["down_payment_percent"]) == (
        500_000,
        450_000,
        "20.00",
    )
    # Nothing that identifies the buyer leaves: no name, phone or email.
    body = request.content.decode()
    for private in ("Ana", "Lopez", buyer.phone, buyer.email):
        assert private not in body


def test_a_5xx_is_retried_after_a_backoff_and_the_second_answer_is_used(buyer, provider, waits):
    client = provider(httpx.Response(503), ok())

    assessment = assess_financial_readiness(contact=buyer, provider=client)

    assert assessment.source == "provider" and assessment.provider_attempts == 2
    assert len(client.fake.requests) == 2
    [wait] = waits
    assert 0.5 <= wait <= 0.75  # 0.5 s, plus up to 0.25 s of jitter


def test_backoff_doubles_and_is_capped_at_ten_seconds(provider, waits):
    client = provider(httpx.Response(500))

    class State:
        def __init__(self, attempt):
            self.attempt_number = attempt
            self.outcome = type("O", (), {"exception": lambda self: RuntimeError()})()

    backoffs = [client._wait(State(n)) for n in (1, 2, 3, 6, 10)]

    assert 0.5 <= backoffs[0] <= 0.75 and 1.0 <= backoffs[1] <= 1.25
    assert 2.0 <= backoffs[2] <= 2.25 and backoffs[3] == backoffs[4] == 10.0


def test_a_429_waits_out_its_retry_after_before_trying_again(buyer, provider, waits):
    client = provider(httpx.Response(429, headers={"Retry-After": "3"}), ok())

    assessment = assess_financial_readiness(contact=buyer, provider=client)

    assert assessment.source == "provider" and assessment.provider_attempts == 2
    assert waits == [3.0]  # the server's wait, longer than the 0.5 s backoff


def test_a_429_asking_for_longer_than_the_longest_wait_is_not_retried_early(buyer, provider, waits):
    client = provider(httpx.Response(429, headers={"Retry-After": "120"}), ok())

    assessment = assess_financial_readiness(contact=buyer, provider=client)

    assert assessment.source == "heuristics"
    assert len(client.fake.requests) == 1 and waits == []
    assert "429" in assessment.provider_error


def test_a_400_is_not_retried_and_the_heuristics_answer(buyer, provider, waits):
    client = provider(httpx.Response(400, json={"error": "unknown field"}), ok())

    assessment = assess_financial_readiness(contact=buyer, provider=client)

    assert len(client.fake.requests) == 1 and waits == []
    assert assessment.source == FinancialAssessment.Source.HEURISTICS
    assert assessment.provider_attempts == 1
    assert "HTTP 400" in assessment.provider_error
    assert (assessment.pre_approved, assessment.requires_review) == (True, False)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ConnectError("connection refused"),
    ],
)
def test_timeouts_and_network_errors_are_tried_three_times_then_fall_back(
    buyer, provider, waits, failure
):
    client = provider(failure)

    assessment = assess_financial_readiness(contact=buyer, provider=client)

    assert len(client.fake.requests) == 3 and len(waits) == 2
    assert assessment.source == "heuristics" and assessment.provider_attempts == 3
    assert assessment.provider_error


def test_an_answer_we_cannot_read_is_not_retried_and_falls_back(buyer, provider, waits):
    client = provider(ok({"pre_approved": "maybe", "confidence": 2}))

    assessment = assess_financial_readiness(contact=buyer, provider=client)

    assert len(client.fake.requests) == 1 and waits == []
    assert assessment.source == "heuristics"
    assert "pre_approved" in assessment.provider_error


def test_without_a_provider_url_the_heuristics_answer_without_any_request(buyer, settings):
    settings.FINANCIAL_ASSESSMENT_URL = ""
    seen = []
    financial.use_transport(httpx.MockTransport(lambda request: seen.append(request)))
    try:
        assessment = assess_financial_readiness(contact=buyer)
    finally:
        financial.use_transport(None)

    assert seen == []
    assert assessment.source == "heuristics"
    assert assessment.provider_error.startswith("no provider configured")
    assert assessment.reasons == [
        "pre-approved with Chase for $500,000, covering the budget of $450,000",
        "down payment about 20.0% of the $450,000 budget",
    ]


def test_the_provider_from_settings_is_used_with_its_url_and_token(buyer, settings):
    settings.FINANCIAL_ASSESSMENT_URL = URL
    settings.FINANCIAL_ASSESSMENT_TOKEN = "from-env"
    fake = FakeProvider(ok())
    financial.use_transport(httpx.MockTransport(fake))
    try:
        assessment = assess_financial_readiness(contact=buyer)
    finally:
        financial.use_transport(None)

    assert assessment.source == "provider"
    [request] = fake.requests
    assert str(request.url) == URL and request.headers["authorization"] == "Bearer from-env"


# --- Nothing to go on -------------------------------------------------------------------------------


def test_nothing_to_go_on_is_a_conservative_assessment_with_a_review_ticket(provider, waits):
    profile = BuyerProfileFactory()  # said nothing about money
    conversation = ConversationFactory(contact=profile.contact)
    client = provider(httpx.Response(502))

    assessment = assess_financial_readiness(contact=profile.contact, provider=client)

    assert assessment.source == FinancialAssessment.Source.CONSERVATIVE
    assert (assessment.pre_approved, assessment.requires_review, assessment.confidence) == (
        False,
        True,
        Decimal("0.60"),
    )
    ticket = EscalationTicket.objects.get()
    assert (ticket.reason, ticket.conversation) == (
        EscalationTicket.Reason.FINANCIAL_REVIEW,
        conversation,
    )
    assert ticket.context == {
        "assessment": assessment.pk,
        "source": "conservative",
        "confidence": "0.60",
    }
    conversation.refresh_from_db()
    profile.contact.refresh_from_db()
    assert conversation.needs_human_review
    assert conversation.status == "active" and profile.contact.bot_paused_until is None


def test_a_second_conservative_assessment_counts_on_the_open_ticket(provider):
    profile = BuyerProfileFactory()
    ConversationFactory(contact=profile.contact)

    assess_financial_readiness(contact=profile.contact, provider=provider(httpx.Response(500)))
    assess_financial_readiness(contact=profile.contact, provider=provider(httpx.Response(500)))

    ticket = EscalationTicket.objects.get()
    assert ticket.occurrences == 2


def test_a_provider_that_asks_for_review_gets_a_ticket_too(buyer, provider):
    client = provider(ok({**VERDICT, "requires_review": True, "confidence": 0.5}))

    assessment = assess_financial_readiness(contact=buyer, provider=client)

    assert assessment.source == "provider" and assessment.requires_review
    assert EscalationTicket.objects.get().reason == "financial_review"


def test_every_assessment_is_audited_with_its_source(buyer, provider):
    assessment = assess_financial_readiness(contact=buyer, provider=provider(httpx.Response(400)))

    event = AuditEvent.objects.get(action="buyer.financial_assessment")
    assert event.subject_id == str(assessment.pk)
    assert (event.data["source"], event.data["provider_attempts"]) == ("heuristics", 1)


# --- Never inside a transaction; safe to run twice ------------------------------------------------


def test_it_refuses_to_run_inside_a_transaction_before_any_request(buyer, provider):
    client = provider(ok())

    with pytest.raises(RuntimeError), transaction.atomic():
        assess_financial_readiness(contact=buyer, provider=client)

    assert client.fake.requests == []
    assert not FinancialAssessment.objects.exists()


def test_the_task_run_twice_stores_one_assessment(buyer):
    conversation = buyer.conversations.get()

    assess_financial_readiness_task.delay(buyer.pk, conversation.pk)
    assess_financial_readiness_task.delay(buyer.pk, conversation.pk)

    assert FinancialAssessment.objects.count() == 1
    buyer.budget_max = 520_000
    buyer.save(update_fields=["budget_max"])
    assess_financial_readiness_task.delay(buyer.pk, conversation.pk)  # what it reads changed
    assert FinancialAssessment.objects.count() == 2


# --- The heuristics ------------------------------------------------------------------------------


def facts(**kwargs) -> FinancialFacts:
    return FinancialFacts(reference="contact-1", language="en", **kwargs)


HEURISTICS = [
    # (what the buyer said, pre-approved, confidence, max purchase price)
    ({"cash_buyer": True, "budget_max": 600_000}, True, "0.70", 600_000),
    ({"preapproval_status": "pre_approved", "preapproval_amount": 500_000, "budget_max": 450_000}, True, "0.80", 500_000),
    ({"preapproval_status": "pre_approved", "preapproval_lender": "Chase", "preapproval_amount": 500_000}, True, "0.85", 500_000),
    ({"preapproval_status": "pre_approved", "preapproval_amount": 400_000, "budget_max": 450_000}, True, "0.70", 400_000),
    ({"preapproval_status": "pre_approved", "budget_max": 450_000}, True, "0.65", 450_000),
    ({"preapproval_status": "pre_approved", "budget_max": 450_000, "down_payment_amount": 100_000}, True, "0.70", 450_000),
    ({"preapproval_status": "prequalified", "budget_max": 450_000}, False, "0.70", 450_000),
    ({"preapproval_status": "not_yet", "budget_max": 450_000}, False, "0.80", 450_000),
    ({"down_payment_percent": "10.00", "budget_max": 450_000}, False, "0.60", 450_000),
]  # fmt: skip


@pytest.mark.parametrize(("said", "pre_approved", "confidence", "max_price"), HEURISTICS)
def test_heuristics_read_what_the_buyer_said(said, pre_approved, confidence, max_price):
    result = heuristic_assessment(facts(**said))

    assert (result.pre_approved, result.confidence, result.max_purchase_price) == (
        pre_approved,
        Decimal(confidence),
        max_price,
    )
    assert not result.requires_review


@pytest.mark.parametrize(
    "said", [{}, {"budget_max": 450_000}, {"down_payment_amount": 50_000}, {"cash_buyer": False}]
)
def test_heuristics_have_nothing_to_go_on_without_financing_or_a_down_payment_and_budget(said):
    assert heuristic_assessment(facts(**said)) is None
