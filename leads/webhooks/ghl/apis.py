"""The HighLevel webhook endpoints: verify, store, acknowledge. Nothing else happens here.

HighLevel retries a delivery only when we answer 429 (any other failure loses the
event), so once an event is stored we answer 200, when it cannot be stored we answer
429, and we never answer 5xx. An authentic delivery we cannot read is stored too (as
unprocessable, answered 400 with its event id): nothing HighLevel signed is dropped.
Unauthentic ones keep only their metadata, and past a limit per address are answered 429.
These are the only AllowAny, CSRF-exempt views.
"""

import hmac
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import Error as DatabaseDriverError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config import performance
from config.errors import error_body
from config.schema import ErrorSerializer
from leads.exceptions import WebhookRejectionsLimited
from leads.ghl import events
from leads.ghl.exceptions import UnreadableWebhook
from leads.models import WebhookEvent
from leads.services import inbound
from leads.webchat.apis import client_ip

from . import handlers
from .signatures import KeyConfigurationError, Verification, timestamp_problem, verify_signature

logger = logging.getLogger(__name__)

# HighLevel redelivers every 10 minutes whatever we say; the header is for everyone else.
RETRY_AFTER_SECONDS = 600
WORKFLOW_SECRET_HEADER = "X-Webhook-Secret"  # noqa: S105 (a header name, not a secret)

_KEPT_HEADERS = (
    "Content-Type",
    "Content-Length",
    "User-Agent",
    "X-GHL-Signature",
    "X-WH-Signature",
    "X-Forwarded-For",
    "X-Request-Id",
)


class _JsonOnly(BaseContentNegotiation):
    # Webhook senders' Accept headers vary; never answer 406 to one of them.
    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None


def _error(
    status: int, code: str, message: str, details: dict | None = None, *, counted: bool = False
) -> Response:
    if not counted:  # else the service that recorded the delivery counted it
        outcome = "unavailable" if status == 429 else "invalid"
        performance.tracker.count(performance.WEBHOOK_RECEIVED, outcome)
    return Response(error_body(code, message, details), status=status)


def _retry_later(response: Response, seconds: int) -> Response:
    response["Retry-After"] = str(seconds)
    return response


def _kept_headers(request) -> dict:
    # Cut to a length that diagnoses: a header is not a way to store a megabyte either.
    kept = {name: request.headers[name][:1024] for name in _KEPT_HEADERS if name in request.headers}
    if WORKFLOW_SECRET_HEADER in request.headers:
        kept[WORKFLOW_SECRET_HEADER] = "[redacted]"  # a secret never lands in the table
    kept["remote_addr"] = request.META.get("REMOTE_ADDR", "")
    return kept


class _WebhookApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JsonOnly
    source = WebhookEvent.Source.GHL

    def authenticate_delivery(self, request, body: bytes) -> Verification:
        raise NotImplementedError

    def _reject(self, request, body: bytes, verification: Verification, message: str):
        try:
            inbound.record_rejected_webhook(
                source=self.source,
                body=body,
                headers=_kept_headers(request),
                client_ip=client_ip(request),
                signature_scheme=verification.scheme,
                reason=verification.reason,
            )
        except WebhookRejectionsLimited as limited:
            response = _error(429, limited.code, limited.message, limited.details, counted=True)
            return _retry_later(response, limited.retry_after)
        except DatabaseDriverError:
            # Recording a forgery is not worth a retry from the sender; log and refuse.
            logger.exception("could not record a rejected %s webhook", self.source)
        return _error(401, verification.reason or "unauthorized", message, counted=True)

    def _unavailable(self) -> Response:
        # OperationalError, InterfaceError (not a DatabaseError subclass), ...: an outage.
        logger.exception("webhook storage unavailable; asking %s to redeliver", self.source)
        response = _error(
            429, "storage_unavailable", "The event could not be stored; please redeliver."
        )
        return _retry_later(response, RETRY_AFTER_SECONDS)

    def _unprocessable(self, request, body: bytes, verification, problem: UnreadableWebhook):
        """An authentic delivery we cannot read: kept (never lost), and the sender told why."""
        try:
            stored = inbound.store_unprocessable_webhook(
                source=self.source,
                body=body,
                headers=_kept_headers(request),
                client_ip=client_ip(request),
                signature_scheme=verification.scheme,
                reason=problem.reason,
                event_type=problem.event_type,
                location_id=problem.location_id,
            )
        except DatabaseDriverError:
            return self._unavailable()
        kept = {"stored": True, "duplicate": stored.duplicate}
        if stored.event is not None:
            kept["event_id"] = stored.event.pk
        return _error(400, problem.code, problem.message, {**problem.details, **kept}, counted=True)

    def post(self, request):
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            return _error(415, "unsupported_media_type", "Send the event as application/json.")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            body = request.body
        except RequestDataTooBig:
            body = None
        if body is None or (limit is not None and len(body) > limit):
            return _error(413, "payload_too_large", f"The body is over {limit} bytes.")

        try:
            verification = self.authenticate_delivery(request, body)
        except KeyConfigurationError:
            logger.exception("HighLevel webhook keys are misconfigured")
            verification = Verification(ok=False, reason="key_misconfigured")
        if not verification.ok:
            return self._reject(request, body, verification, "The delivery is not authentic.")

        try:
            event = events.read_event(body)
            problem = timestamp_problem(timestamp=event.timestamp, now=timezone.now())
            if not problem:
                events.require_type_and_location(event)
        except UnreadableWebhook as unreadable:
            return self._unprocessable(request, body, verification, unreadable)
        if problem:  # a replay, or a clock far off: refused, not kept
            stale = Verification(ok=False, scheme=verification.scheme, reason=problem)
            return self._reject(request, body, stale, "The timestamp is outside the window.")

        try:
            stored = inbound.store_webhook_event(
                source=self.source,
                body=body,
                payload=event.payload,
                headers=_kept_headers(request),
                client_ip=client_ip(request),
                signature_scheme=verification.scheme,
                event_type=event.event_type,
                location_id=event.location_id,
                webhook_id=event.webhook_id,
                known_event=handlers.is_known_event(event.event_type),
            )
        except DatabaseDriverError:
            return self._unavailable()
        if stored.duplicate:
            return Response({"received": True, "duplicate": True})
        return Response(
            {
                "received": True,
                "duplicate": False,
                "event_id": stored.event.pk,
                "status": stored.event.status,
            }
        )


@extend_schema_serializer(component_name="WebhookReceived")
class WebhookReceivedSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField(help_text="Delivered before: stored once, not again.")
    event_id = serializers.IntegerField(required=False, help_text="The stored event's id.")
    status = serializers.CharField(
        required=False,
        help_text="The stored event's status: received (applied next), or ignored (a type we "
        "do not act on, or another HighLevel location's event).",
    )


def _webhook_schema(summary: str, description: str, headers: list[OpenApiParameter]):
    """The schema of a webhook endpoint: what HighLevel sends, and every answer it can get."""
    errors = {
        400: "Authentic, but not JSON, not an object, nested too deep, a number out of range, "
        "no type or locationId, or a timestamp it cannot read: stored as unprocessable "
        "(details.event_id), never applied.",
        401: "Not authentic (signature or secret), or outside the timestamp window; its "
        "metadata recorded, never processed.",
        413: "Over 1 MB.",
        415: "Not application/json.",
        429: "It could not be stored: redeliver after Retry-After. Or too many unauthentic "
        "deliveries from this address (too_many_rejections): no longer recorded until "
        "Retry-After.",
    }
    return extend_schema(
        summary=summary,
        description=description,
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=headers,
        auth=[],
        responses={
            200: OpenApiResponse(WebhookReceivedSerializer, description="Stored (or a duplicate)."),
            **{
                code: OpenApiResponse(ErrorSerializer, description=text)
                for code, text in errors.items()
            },
        },
        examples=[
            OpenApiExample(
                "An inbound SMS",
                request_only=True,
                value={
                    "type": "InboundMessage",
                    "locationId": "l1C08ntBrFjLS0elLIYU",
                    "contactId": "cI08i1Bls3iTB9bKgFJh",
                    "conversationId": "fcanlLgpbQgQhderivVs",
                    "body": "Hi, I want to sell my house",
                    "messageType": "SMS",
                    "direction": "inbound",
                    "dateAdded": "2026-03-02T17:04:11.750Z",
                    "webhookId": "4c5d7a0e-0d6f-4a51-9a4e-0c2f3b1c9d11",
                    "timestamp": "2026-03-02T17:04:12.000Z",
                },
            ),
            OpenApiExample(
                "Stored",
                response_only=True,
                status_codes=["200"],
                value={"received": True, "duplicate": False, "event_id": 981, "status": "received"},
            ),
        ],
    )


@extend_schema_view(
    post=_webhook_schema(
        "Receive a HighLevel webhook",
        "HighLevel's app webhooks (InboundMessage, OutboundMessage, Contact*, Opportunity*, "
        "Appointment*, Note*, Task*), signed with HighLevel's Ed25519 or RSA key. The event is "
        "stored before the answer and processed after it; a delivery seen before is "
        "acknowledged once. It never answers 5xx: HighLevel only retries on 429.",
        [
            OpenApiParameter(
                "X-GHL-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Ed25519 signature of the raw body (base64).",
            ),
            OpenApiParameter(
                "X-WH-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="RSA-SHA256 signature of the raw body (base64), HighLevel's older scheme.",
            ),
        ],
    )
)
class GhlWebhookApi(_WebhookApi):
    """HighLevel app webhooks, signed with HighLevel's Ed25519 or RSA key."""

    source = WebhookEvent.Source.GHL

    def authenticate_delivery(self, request, body: bytes) -> Verification:
        return verify_signature(headers=request.headers, body=body)


@extend_schema_view(
    post=_webhook_schema(
        "Receive a HighLevel workflow webhook",
        "HighLevel workflows' custom webhook action, authenticated by a shared secret header "
        "(GHL_WORKFLOW_WEBHOOK_SECRET). Stored and processed like the app webhooks.",
        [
            OpenApiParameter(
                WORKFLOW_SECRET_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The shared secret.",
            )
        ],
    )
)
class GhlWorkflowWebhookApi(_WebhookApi):
    """HighLevel workflow "custom webhook" actions, which may be unsigned: a shared secret header."""

    source = WebhookEvent.Source.GHL_WORKFLOW

    def authenticate_delivery(self, request, body: bytes) -> Verification:
        expected = settings.GHL_WORKFLOW_WEBHOOK_SECRET
        if not expected:
            return Verification(ok=False, scheme="secret", reason="workflow_secret_not_configured")
        given = request.headers.get(WORKFLOW_SECRET_HEADER, "")
        if not given:
            return Verification(ok=False, scheme="secret", reason="missing_secret")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return Verification(ok=False, scheme="secret", reason="invalid_secret")
        return Verification(ok=True, scheme="secret")
