"""A person's actions on a conversation: reply as Jorge, pause and resume the bot, advance the
stage. The dashboard and the admin call the same services; each audits what it does."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import ErrorSerializer
from leads import selectors
from leads.models import Conversation
from leads.permissions import IsJorgeOrStaff
from leads.services import conversations as conversation_services
from leads.services import escalation


class _ConversationActionApi(APIView):
    permission_classes = [IsJorgeOrStaff]

    def conversation(self, conversation_id: int) -> Conversation:
        try:
            return selectors.conversation_with_contact(conversation_id=conversation_id)
        except Conversation.DoesNotExist as exc:
            raise Http404("No such conversation.") from exc


class ConversationReplyApi(_ConversationActionApi):
    """Send a reply to the lead as Jorge through HighLevel; the bot pauses (as when Jorge
    answers from HighLevel). 400 when it may not be sent, with the reason."""

    @extend_schema_serializer(component_name="ConversationReplyInput")
    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=conversation_services.MAX_REPLY_CHARS)

    @extend_schema_serializer(component_name="ConversationReply")
    class OutputSerializer(serializers.Serializer):
        message = serializers.IntegerField(help_text="The recorded message's id.")
        status = serializers.CharField(help_text="The message's status: sent, failed, unknown…")
        sent = serializers.BooleanField()
        detail = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        examples=[
            OpenApiExample(
                "A reply",
                value={"body": "Hi Maria, Jorge here. Does 5 pm work?"},
                request_only=True,
            ),
            OpenApiExample(
                "Sent",
                value={"message": 312, "status": "sent", "sent": True, "detail": "Sent."},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request, conversation_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = conversation_services.reply_as_agent(
            conversation=self.conversation(conversation_id),
            user=request.user,
            body=data.validated_data["body"],
        )
        message = outcome.message
        message.refresh_from_db(fields=["status"])
        body = {
            "message": message.pk,
            "status": message.status,
            "sent": outcome.sent,
            "detail": outcome.detail,
        }
        return Response(self.OutputSerializer(body).data, status=201)


class ConversationPauseApi(_ConversationActionApi):
    """Stop the bot for the conversation's lead until someone resumes it."""

    @extend_schema_serializer(component_name="BotPaused")
    class OutputSerializer(serializers.Serializer):
        changed = serializers.BooleanField(help_text="False when it was already paused.")

    @extend_schema(
        request=None,
        responses=OutputSerializer,
        examples=[OpenApiExample("Paused", value={"changed": True})],
    )
    def post(self, request, conversation_id: int):
        conversation = self.conversation(conversation_id)
        changed = escalation.pause_contact_bot(
            contact=conversation.contact, user=request.user, via="the API"
        )
        return Response(self.OutputSerializer({"changed": changed}).data)


class ConversationResumeApi(_ConversationActionApi):
    """Hand the conversation's lead back to the bot."""

    @extend_schema_serializer(component_name="BotResumed")
    class OutputSerializer(serializers.Serializer):
        changed = serializers.BooleanField(help_text="False when it was not paused.")

    @extend_schema(
        request=None,
        responses=OutputSerializer,
        examples=[OpenApiExample("Resumed", value={"changed": True})],
    )
    def post(self, request, conversation_id: int):
        conversation = self.conversation(conversation_id)
        changed = escalation.resume_contact_bot(contact=conversation.contact, user=request.user)
        return Response(self.OutputSerializer({"changed": changed}).data)


class ConversationAdvanceStageApi(_ConversationActionApi):
    """Move the conversation to its next stage (a seller's: the next question); 409 at the last."""

    @extend_schema_serializer(component_name="StageChange")
    class OutputSerializer(serializers.Serializer):
        before = serializers.CharField()
        after = serializers.CharField()
        label = serializers.CharField()

    @extend_schema(
        request=None,
        responses={200: OutputSerializer, 409: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Qualified",
                value={"before": "qualifying", "after": "qualified", "label": "Qualified"},
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def post(self, request, conversation_id: int):
        change = conversation_services.advance_stage(
            conversation=self.conversation(conversation_id), user=request.user
        )
        body = {"before": change.before, "after": change.after, "label": change.label}
        return Response(self.OutputSerializer(body).data)
