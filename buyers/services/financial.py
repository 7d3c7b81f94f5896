"""A buyer's financial readiness, behind one function: ``assess_financial_readiness``.

Three sources, tried in order, and the stored ``FinancialAssessment`` names the one that
answered:

1. **provider**: an HTTP assessment service (``FINANCIAL_ASSESSMENT_URL``, none by default;
   ``FINANCIAL_ASSESSMENT_TOKEN`` as a bearer token when set). Called with httpx, retried by
   tenacity: at most 3 tries, exponential backoff from 0.5 s capped at 10 s with jitter, on
   network errors, timeouts, 5xx and 429 (a 429's ``Retry-After`` is waited out when it is at
   most 10 s; a longer one ends the tries). Other 4xx and unreadable answers are not retried.
2. **heuristics**: what the buyer told the bot (a pre-approval and its amount, cash, the down
   payment against the budget).
3. **conservative**: nothing to go on: not pre-approved, needs review, confidence 0.6, and a
   financial-review ticket for a person. The bot keeps answering meanwhile.

The provider waits on the network, so the function refuses to run inside a transaction: the
buyer bot queues it as a Celery task that starts once its turn has committed
(``buyers.tasks.assess_financial_readiness_task``). No name, phone or other personal data is
sent to the provider or stored with the assessment.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings
from django.db import transaction
from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt

from analytics.services import broadcast_dashboard_event
from buyers.exceptions import FinancialProviderError
from buyers.models import BuyerProfile, FinancialAssessment
from compliance.models import AuditEvent
from compliance.services import audit
from leads.models import Contact, Conversation, EscalationTicket
from leads.services.escalation import escalate_to_human
from leads.services.locks import lock_contact_and_conversation

logger = logging.getLogger(__name__)

Source = FinancialAssessment.Source

MAX_ATTEMPTS = 3
INITIAL_BACKOFF = 0.5  # seconds, doubled per retry...
MAX_BACKOFF = 10.0  # ...up to this
JITTER = 0.25  # up to this many seconds added to each wait
CONSERVATIVE_CONFIDENCE = Decimal("0.60")


@dataclass(frozen=True)
class FinancialFacts:
    """What is assessed: the buyer's own statements about money, nothing that identifies them."""

    reference: str  # opaque ("contact-42"), so the provider can tell buyers apart
    language: str
    budget_min: int | None = None
    budget_max: int | None = None
    preapproval_status: str = ""
    preapproval_lender: str = ""
    preapproval_amount: int | None = None
    cash_buyer: bool | None = None
    down_payment_amount: int | None = None
    down_payment_percent: str | None = None  # a decimal as text ("20.00")
    timeline: str = ""

    def as_inputs(self) -> dict:
        return asdict(self)

    @property
    def down_payment_share(self) -> Decimal | None:
        """The down payment as a share of the budget's top (0.2 for 20 %), when both are known."""
        if self.down_payment_percent is not None:
            return Decimal(self.down_payment_percent) / 100
        if self.down_payment_amount is not None and self.budget_max:
            return Decimal(self.down_payment_amount) / Decimal(self.budget_max)
        return None


@dataclass(frozen=True)
class AssessmentResult:
    pre_approved: bool
    requires_review: bool
    confidence: Decimal
    max_purchase_price: int | None = None
    reasons: list[str] = field(default_factory=list)


CONSERVATIVE = AssessmentResult(
    pre_approved=False,
    requires_review=True,
    confidence=CONSERVATIVE_CONFIDENCE,
    reasons=["nothing to assess: no provider answer and no financing stated"],
)


# --------------------------------------------------------------------------------------------
# 1. The provider
# --------------------------------------------------------------------------------------------


class _Retryable(Exception):
    """A failure worth another try: the network, a timeout, a 5xx, a 429."""

    def __init__(self, message: str, *, status_code: int | None = None, retry_after=None):
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


class _Rejected(Exception):
    """The provider said no (a 4xx) or answered something we cannot read: not retried."""

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(tz=UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, _Retryable):
        return False
    # A Retry-After longer than the longest wait is honoured by not retrying early: fall back.
    return exc.retry_after is None or exc.retry_after <= MAX_BACKOFF


def _parse(body) -> AssessmentResult:
    """The provider's answer: ``pre_approved`` (bool) and ``confidence`` (0-1) are required."""
    if not isinstance(body, dict):
        raise _Rejected("the answer is not a JSON object")
    pre_approved, confidence = body.get("pre_approved"), body.get("confidence")
    if not isinstance(pre_approved, bool):
        raise _Rejected("the answer has no boolean pre_approved")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise _Rejected("the answer has no numeric confidence")
    if not 0 <= confidence <= 1:
        raise _Rejected("the answer's confidence is not between 0 and 1")
    requires_review = body.get("requires_review", False)
    if not isinstance(requires_review, bool):
        raise _Rejected("the answer's requires_review is not a boolean")
    price = body.get("max_purchase_price")
    if price is not None and (isinstance(price, bool) or not isinstance(price, int) or price < 0):
        raise _Rejected("the answer's max_purchase_price is not a whole number of dollars")
    reasons = body.get("reasons") or []
    if not isinstance(reasons, list):
        raise _Rejected("the answer's reasons are not a list")
    return AssessmentResult(
        pre_approved=pre_approved,
        requires_review=requires_review,
        confidence=Decimal(str(confidence)).quantize(Decimal("0.01")),
        max_purchase_price=price,
        reasons=[str(reason)[:200] for reason in reasons[:10]],
    )


class HttpFinancialProvider:
    """The assessment provider over HTTP: POST the facts as JSON, read the verdict."""

    def __init__(
        self,
        *,
        url: str,
        token: str = "",
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ):
        self.url = url
        self.max_attempts = max_attempts
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        headers = {"Accept": "application/json", "User-Agent": "jorge-platform (httpx)"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers=headers,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "HttpFinancialProvider":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _wait(self, retry_state) -> float:
        backoff = min(INITIAL_BACKOFF * 2 ** (retry_state.attempt_number - 1), MAX_BACKOFF)
        backoff = min(backoff + self._rng.uniform(0, JITTER), MAX_BACKOFF)
        retry_after = getattr(retry_state.outcome.exception(), "retry_after", None)
        return backoff if retry_after is None else max(backoff, retry_after)

    def assess(self, facts: FinancialFacts) -> tuple[AssessmentResult, int]:
        """The provider's verdict and how many tries it took; raises ``FinancialProviderError``."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            result = retrying(self._attempt, facts)
        except (_Retryable, _Rejected) as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise FinancialProviderError(
                str(exc), attempts=attempts, status_code=exc.status_code
            ) from exc
        except RetryError as exc:  # not raised with reraise=True; kept for safety
            raise FinancialProviderError(str(exc), attempts=self.max_attempts) from exc
        return result, retrying.statistics.get("attempt_number", 1)

    def _attempt(self, facts: FinancialFacts) -> AssessmentResult:
        try:
            response = self._http.post(self.url, json=facts.as_inputs())
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timeout: {type(exc).__name__}") from exc
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            raise _Rejected(f"bad provider URL or request: {exc}") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"network error: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status == 429:
            retry_after = _retry_after(response)
            raise _Retryable(
                f"HTTP 429 (Retry-After {retry_after})", status_code=status, retry_after=retry_after
            )
        if status >= 500:
            raise _Retryable(f"HTTP {status}", status_code=status)
        if status >= 400:
            raise _Rejected(f"HTTP {status}: {response.text[:200]}", status_code=status)
        try:
            body = response.json()
        except ValueError as exc:
            raise _Rejected(f"HTTP {status} with a body that is not JSON") from exc
        return _parse(body)


def _log_retry(retry_state) -> None:
    logger.warning(
        "financial provider failed (%s); try %d of %d again in %.2f s",
        retry_state.outcome.exception(),
        retry_state.attempt_number + 1,
        MAX_ATTEMPTS,
        retry_state.next_action.sleep if retry_state.next_action else 0.0,
    )


_transport: httpx.BaseTransport | None = None


def use_transport(transport: httpx.BaseTransport | None) -> None:
    """Send every provider request through ``transport`` (tests fake it); ``None`` resets."""
    global _transport
    _transport = transport


def default_provider() -> HttpFinancialProvider | None:
    """The provider from settings, or None when ``FINANCIAL_ASSESSMENT_URL`` is not set."""
    url = settings.FINANCIAL_ASSESSMENT_URL
    if not url:
        return None
    return HttpFinancialProvider(
        url=url,
        token=settings.FINANCIAL_ASSESSMENT_TOKEN,
        timeout=settings.FINANCIAL_ASSESSMENT_TIMEOUT,
        transport=_transport,
    )


# --------------------------------------------------------------------------------------------
# 2. Heuristics from the conversation
# --------------------------------------------------------------------------------------------


def _money(value: int) -> str:
    return f"${value:,}"


def heuristic_assessment(facts: FinancialFacts) -> AssessmentResult | None:
    """Readiness from what the buyer said, or None when they said nothing to go on.

    Cash: ready (0.70: no proof of funds seen). A pre-approval: ready; 0.80 with an amount
    that covers the budget (0.85 with the lender named), 0.70 when the amount is under the
    budget (the budget exceeds the approval: a reason says so), 0.65 with no amount. Not yet
    or pre-qualified only: not ready, 0.80 / 0.70 (they said so). A down payment with a
    budget, financing unknown: not ready, 0.60. A down payment of 20 % or more adds 0.05.
    """
    reasons: list[str] = []
    share = facts.down_payment_share
    budget = facts.budget_max
    max_price = budget
    if facts.cash_buyer:
        pre_approved, confidence = True, Decimal("0.70")
        reasons.append("says they will pay cash (no proof of funds seen)")
    elif facts.preapproval_status == BuyerProfile.PreApproval.PRE_APPROVED:
        pre_approved = True
        amount = facts.preapproval_amount
        lender = f" with {facts.preapproval_lender}" if facts.preapproval_lender else ""
        if amount is None:
            confidence = Decimal("0.70") if lender else Decimal("0.65")
            reasons.append(f"says they are pre-approved{lender}; amount not stated")
        elif budget is not None and amount < budget:
            confidence = Decimal("0.70")
            max_price = amount
            reasons.append(
                f"pre-approved{lender} for {_money(amount)}, under the budget of {_money(budget)}"
            )
        else:
            confidence = Decimal("0.85") if lender else Decimal("0.80")
            max_price = amount
            covers = f", covering the budget of {_money(budget)}" if budget else ""
            reasons.append(f"pre-approved{lender} for {_money(amount)}{covers}")
    elif facts.preapproval_status == BuyerProfile.PreApproval.PREQUALIFIED:
        pre_approved, confidence = False, Decimal("0.70")
        reasons.append("pre-qualified only: a pre-approval is the next step")
    elif facts.preapproval_status == BuyerProfile.PreApproval.NOT_YET:
        pre_approved, confidence = False, Decimal("0.80")
        reasons.append("says they are not pre-approved yet")
    elif share is not None and budget is not None:
        pre_approved, confidence = False, Decimal("0.60")
        reasons.append("financing not stated")
    else:
        return None
    if share is not None and not facts.cash_buyer:
        percent = (share * 100).quantize(Decimal("0.1"))
        base = f" of the {_money(budget)} budget" if budget else ""
        reasons.append(f"down payment about {percent}%{base}")
        if share >= Decimal("0.20"):
            confidence = min(confidence + Decimal("0.05"), Decimal("0.95"))
    return AssessmentResult(
        pre_approved=pre_approved,
        requires_review=False,
        confidence=confidence,
        max_purchase_price=max_price,
        reasons=reasons,
    )


# --------------------------------------------------------------------------------------------
# The one function
# --------------------------------------------------------------------------------------------


def _facts_of(contact: Contact) -> FinancialFacts:
    profile = BuyerProfile.objects.filter(contact_id=contact.pk).first() or BuyerProfile()
    percent = profile.down_payment_percent
    return FinancialFacts(
        reference=f"contact-{contact.pk}",
        language=contact.language,
        budget_min=contact.budget_min,
        budget_max=contact.budget_max,
        preapproval_status=profile.preapproval_status,
        preapproval_lender=profile.preapproval_lender,
        preapproval_amount=profile.preapproval_amount,
        cash_buyer=profile.cash_buyer,
        down_payment_amount=profile.down_payment_amount,
        down_payment_percent=None if percent is None else str(percent),
        timeline=contact.timeline,
    )


def _conversation_for(contact: Contact, conversation: Conversation | None) -> Conversation | None:
    if conversation is not None:
        return conversation
    return (
        Conversation.objects.filter(contact_id=contact.pk)
        .order_by("-last_inbound_at", "-id")
        .first()
    )


def assess_financial_readiness(
    *,
    contact: Contact,
    conversation: Conversation | None = None,
    provider: HttpFinancialProvider | None = None,
    skip_if_unchanged: bool = False,
) -> FinancialAssessment:
    """Assess ``contact``'s financial readiness and store the result with its source.

    The provider (``provider`` or the one from settings) first, then heuristics from the
    conversation, then a conservative assessment with a financial-review ticket on
    ``conversation`` (the contact's latest one when not given). Never inside a transaction:
    the provider may be waited on for seconds. ``skip_if_unchanged`` returns the latest
    assessment instead when nothing it read has changed since (a task run twice).
    """
    # Durable: refuses to open inside another transaction, before any network call.
    with transaction.atomic(durable=True):
        contact = Contact.objects.get(pk=contact.pk)
        facts = _facts_of(contact)
        latest = FinancialAssessment.objects.filter(contact_id=contact.pk).first()
        if skip_if_unchanged and latest is not None and latest.inputs == facts.as_inputs():
            return latest

    provider = provider if provider is not None else default_provider()
    result, attempts, error = None, 0, ""
    if provider is None:
        error = "no provider configured (FINANCIAL_ASSESSMENT_URL)"
    else:
        try:
            result, attempts = provider.assess(facts)
        except FinancialProviderError as exc:
            attempts, error = exc.attempts, str(exc)[:500]
            logger.warning("financial provider failed for contact %s: %s", contact.pk, exc)
    source = Source.PROVIDER
    if result is None:
        result = heuristic_assessment(facts)
        source = Source.HEURISTICS
    if result is None:
        result, source = CONSERVATIVE, Source.CONSERVATIVE

    conversation = _conversation_for(contact, conversation)
    with transaction.atomic(durable=True):
        if conversation is not None:
            # The one lock order (contact, then conversation), as the escalation takes them.
            contact, conversation = lock_contact_and_conversation(
                contact_id=contact.pk, conversation_id=conversation.pk
            )
        if skip_if_unchanged:
            latest = FinancialAssessment.objects.filter(contact_id=contact.pk).first()
            if latest is not None and latest.inputs == facts.as_inputs():
                return latest  # another run stored the same assessment meanwhile
        assessment = FinancialAssessment.objects.create(
            contact=contact,
            conversation=conversation,
            source=source,
            pre_approved=result.pre_approved,
            requires_review=result.requires_review,
            confidence=result.confidence,
            max_purchase_price=result.max_purchase_price,
            reasons=result.reasons,
            inputs=facts.as_inputs(),
            provider_attempts=attempts,
            provider_error=error,
        )
        audit(
            action="buyer.financial_assessment",
            subject=assessment,
            actor=AuditEvent.Actor.SYSTEM,
            actor_label="financial_assessment",
            data={
                "source": source,
                "pre_approved": result.pre_approved,
                "requires_review": result.requires_review,
                "confidence": str(result.confidence),
                "provider_attempts": attempts,
                "provider_error": error,
            },
        )
        if result.requires_review:
            _open_review_ticket(assessment, conversation)
        broadcast_dashboard_event(
            kind="buyer.financial_assessment",
            data={
                "contact": contact.pk,
                "assessment": assessment.pk,
                "source": source,
                "pre_approved": result.pre_approved,
                "requires_review": result.requires_review,
            },
        )
    return assessment


def _open_review_ticket(
    assessment: FinancialAssessment, conversation: Conversation | None
) -> EscalationTicket | None:
    """A person checks the buyer's finances; the bot keeps answering (FINANCIAL_REVIEW)."""
    if conversation is None:
        logger.error("financial review for contact %s: no conversation", assessment.contact_id)
        return None
    return escalate_to_human(
        conversation=conversation,
        reason=EscalationTicket.Reason.FINANCIAL_REVIEW,
        context={
            "assessment": assessment.pk,
            "source": assessment.source,
            "confidence": str(assessment.confidence),
        },
        summary=f"Financial readiness needs review ({assessment.get_source_display().lower()})",
        actor=AuditEvent.Actor.SYSTEM,
        actor_label="financial_assessment",
    )


def assess_financial_readiness_of(
    *, contact_id: int, conversation_id: int | None = None
) -> FinancialAssessment | None:
    """The task's entry point: by ids, and only when the buyer's money facts changed."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        return None
    conversation = (
        Conversation.objects.filter(pk=conversation_id, contact_id=contact_id).first()
        if conversation_id
        else None
    )
    return assess_financial_readiness(
        contact=contact, conversation=conversation, skip_if_unchanged=True
    )
