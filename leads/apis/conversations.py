"""Conversations and their messages. Jorge and staff read them all; a reviewer reads only the
conversations a ticket is about (any other is a 404, as if it did not exist)."""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors
from leads.models import Conversation, Message
from leads.permissions import CanSeeTickets


def visible_conversation(request, conversation_id: int) -> Conversation:
    """The conversation if ``request.user`` may read it, else 404."""
    try:
        return selectors.conversations_visible_to(user=request.user).get(pk=conversation_id)
    except Conversation.DoesNotExist as exc:
        raise Http404("No such conversation.") from exc


@extend_schema_serializer(component_name="ConversationContact")
class ConversationContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    temperature = serializers.CharField()
    score = serializers.IntegerField()


@extend_schema_serializer(component_name="Conversation")
class ConversationSerializer(serializers.ModelSerializer):
    contact = ConversationContactSerializer()
    bot_paused = serializers.SerializerMethodField(
        help_text="A person took over: the bot stays quiet until resumed or the pause ends."
    )

    class Meta:
        model = Conversation
        fields = [
            "id",
            "contact",
            "channel",
            "bot",
            "stage",
            "status",
            "bot_paused",
            "needs_human_review",
            "first_response_seconds",
            "last_inbound_at",
            "last_outbound_at",
            "created_at",
        ]

    def get_bot_paused(self, conversation: Conversation) -> bool:
        return selectors.is_bot_paused(conversation=conversation, at=self.context.get("now"))


CONVERSATION_EXAMPLE = {
    "id": 7,
    "contact": {
        "id": 42,
        "first_name": "Maria",
        "last_name": "Lopez",
        "temperature": "hot",
        "score": 82,
    },
    "channel": "sms",
    "bot": "buyer",
    "stage": "qualified",
    "status": "active",
    "bot_paused": False,
    "needs_human_review": False,
    "first_response_seconds": 4.2,
    "last_inbound_at": "2026-03-02T17:05:00Z",
    "last_outbound_at": "2026-03-02T17:05:04Z",
    "created_at": "2026-03-02T17:04:11Z",
}


class ConversationListApi(ListAPIView):
    """Conversations, newest first; ``?status=``, ``?stage=`` and ``?contact=`` narrow them."""

    permission_classes = [CanSeeTickets]
    serializer_class = ConversationSerializer

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
        stage = serializers.ChoiceField(choices=Conversation.Stage.choices, required=False)
        contact = serializers.IntegerField(required=False, min_value=1, help_text="A contact id.")

    def get_queryset(self):
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        found = selectors.conversations_visible_to(user=self.request.user)
        for name, value in filters.validated_data.items():
            found = found.filter(**{"contact_id" if name == "contact" else name: value})
        return found

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        parameters=[FilterSerializer],
        examples=[
            OpenApiExample(
                "Active conversations",
                value={"next": None, "previous": None, "results": [CONVERSATION_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ConversationDetailApi(APIView):
    """One conversation, with its contact and whether the bot is paused."""

    permission_classes = [CanSeeTickets]

    @extend_schema(
        responses=ConversationSerializer,
        examples=[OpenApiExample("A buyer's thread", value=CONVERSATION_EXAMPLE)],
    )
    def get(self, request, conversation_id: int):
        conversation = visible_conversation(request, conversation_id)
        return Response(ConversationSerializer(conversation).data)


@extend_schema_serializer(component_name="Message")
class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = [
            "id",
            "direction",
            "channel",
            "sender",
            "status",
            "body",
            "subject",
            "sent_at",
            "scheduled_for",
            "attachments",
        ]


class ConversationMessagesApi(ListAPIView):
    """A conversation's messages, newest first (bodies as stored: sensitive data redacted)."""

    permission_classes = [CanSeeTickets]
    serializer_class = MessageSerializer

    def get_queryset(self):
        conversation = visible_conversation(self.request, self.kwargs["conversation_id"])
        return selectors.messages_of(conversation=conversation)

    @extend_schema(
        operation_id="conversations_messages_list",
        examples=[
            OpenApiExample(
                "The latest messages",
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 311,
                            "direction": "outbound",
                            "channel": "sms",
                            "sender": "bot",
                            "status": "sent",
                            "body": "What price range are you shopping in?",
                            "subject": "",
                            "sent_at": "2026-03-02T17:05:04Z",
                            "scheduled_for": None,
                            "attachments": [],
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
