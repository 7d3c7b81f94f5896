"""The chat widget's API: a visitor posts a message, then polls for the answers.

Public (no login) but origin-checked: only this site's pages and ``WEBCHAT_ALLOWED_ORIGINS``
may use it (``leads.webchat.origins``). Every refusal is ``{"error": {"code", "message",
"details"}}`` whose message the widget shows as is.
"""

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import ErrorSerializer  # the one error shape of every API
from leads.exceptions import (
    ChatRateLimited,
    InvalidChatMessage,
    MessageTooLong,
    OriginNotAllowed,
    UnknownVisitor,
)
from leads.webchat import selectors, services
from leads.webchat.origins import add_cors_headers, is_allowed_origin
from leads.webchat.tokens import conversation_id_from_token

ORIGIN_REFUSED = "This website may not use Jorge's chat."

ERRORS = {
    400: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
    413: ErrorSerializer,
    415: ErrorSerializer,
    429: ErrorSerializer,
}


@extend_schema_serializer(component_name="WebChatMessage")
class ChatMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=["visitor", "assistant", "agent"])
    text = serializers.CharField()
    at = serializers.DateTimeField()

    def to_representation(self, message):
        return {
            "id": message.pk,
            "role": selectors.visitor_role(message),
            "text": message.body,
            "at": serializers.DateTimeField().to_representation(message.sent_at),
        }


class _ChatApi(APIView):
    """Public, origin-checked, with CORS headers for the pages allowed to read the answers."""

    authentication_classes: list = []  # no session: a visitor's token is their only key
    permission_classes = [AllowAny]
    throttle_classes: list = []  # the chat's own limits (webchat.ratelimit) apply
    origin_required = True  # a POST comes from a browser page, which always says its origin

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        origin = request.headers.get("Origin", "")
        if (origin or self.origin_required) and not is_allowed_origin(request, origin):
            raise OriginNotAllowed(ORIGIN_REFUSED)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, ChatRateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin", "")
        if origin and is_allowed_origin(request, origin):
            add_cors_headers(response, origin)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(exclude=True)
    def options(self, request, *args, **kwargs):
        # The CORS preflight: allowed origins get their headers (finalize_response), others 403.
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatApi(_ChatApi):
    """A visitor's message to the bot; the first one (no token) starts a conversation."""

    @extend_schema_serializer(component_name="WebChatPostInput")
    class InputSerializer(serializers.Serializer):
        token = serializers.CharField(
            required=False, allow_blank=True, max_length=1000, trim_whitespace=True
        )
        text = serializers.CharField(allow_blank=True, trim_whitespace=False)
        try_pass = serializers.CharField(
            required=False, allow_blank=True, max_length=1000, trim_whitespace=True
        )

    @extend_schema_serializer(component_name="WebChatPost")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Keep it: it names the visitor's conversation.")
        message = ChatMessageSerializer()
        messages = ChatMessageSerializer(
            many=True, help_text="Answers already there (the bot may answer before this returns)."
        )

    @extend_schema(
        operation_id="web_chat_post",
        request=InputSerializer,
        responses={201: OutputSerializer, **ERRORS},
        examples=[OpenApiExample("First message", value={"text": "Hi, I want to sell my house"})],
        description="Public; the Origin header must be this site or in WEBCHAT_ALLOWED_ORIGINS. "
        "429 carries Retry-After (seconds); a message over WEBCHAT_MAX_MESSAGE_CHARS is 413.",
    )
    def post(self, request):
        # A body far over the message bound is refused before it is parsed.
        if int(request.META.get("CONTENT_LENGTH") or 0) > _max_body_bytes():
            raise MessageTooLong(
                f"That message is too long: please keep it under "
                f"{settings.WEBCHAT_MAX_MESSAGE_CHARS} characters.",
                details={"max_chars": settings.WEBCHAT_MAX_MESSAGE_CHARS},
            )
        data = request.data
        if not isinstance(data, dict):
            raise InvalidChatMessage("Send a JSON object with the message's text.")
        serializer = self.InputSerializer(data=data)
        if not serializer.is_valid():
            raise InvalidChatMessage("Send a JSON object with the message's text.")
        posted = services.post_chat_message(
            token=serializer.validated_data.get("token", ""),
            text=serializer.validated_data["text"],
            client_ip=client_ip(request),
            origin=request.headers.get("Origin", ""),
            try_pass=serializer.validated_data.get("try_pass", ""),
        )
        answers = selectors.chat_messages(
            conversation_id=posted.conversation.pk, after=posted.message.pk
        )
        body = self.OutputSerializer(
            {"token": posted.token, "message": posted.message, "messages": answers}
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class ChatMessagesApi(_ChatApi):
    """The visitor's conversation after a message id: what they wrote and the answers."""

    origin_required = False  # a same-site poll carries no Origin; the token is the key

    @extend_schema_serializer(component_name="WebChatMessages")
    class OutputSerializer(serializers.Serializer):
        messages = ChatMessageSerializer(many=True)

    @extend_schema(
        operation_id="web_chat_messages",
        parameters=[
            OpenApiParameter("after", int, description="Only messages after this id (0: all).")
        ],
        responses={200: OutputSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "An answer",
                value={
                    "messages": [
                        {
                            "id": 1842,
                            "role": "assistant",
                            "text": "Happy to help! Which area are you thinking of?",
                            "at": "2026-12-06T18:04:05Z",
                        }
                    ]
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, token: str):
        conversation_id = conversation_id_from_token(token)
        if conversation_id is None:
            raise UnknownVisitor("This chat has expired. Reload the page to start a new one.")
        after = request.query_params.get("after", "0")
        if not after.isdigit() or len(after) > 18:
            raise InvalidChatMessage("after must be a message id (a whole number).")
        services.check_poll_limit(conversation_id=conversation_id)
        messages = selectors.chat_messages(conversation_id=conversation_id, after=int(after))
        return Response(self.OutputSerializer({"messages": messages}).data)


def _max_body_bytes() -> int:
    # Four bytes a character (UTF-8's worst), JSON escapes and the token on top.
    return settings.WEBCHAT_MAX_MESSAGE_CHARS * 6 + 4096


def client_ip(request) -> str:
    """The visitor's address: the peer's, or the one the trusted proxies in front saw."""
    proxies = settings.WEBCHAT_TRUSTED_PROXIES
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies][:64]
    return request.META.get("REMOTE_ADDR", "")[:64] or "unknown"
