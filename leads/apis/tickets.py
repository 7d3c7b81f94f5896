"""Escalation tickets: leads handed to a person. Reviewers read them as staff do."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.models import TicketStatus
from leads import selectors
from leads.models import EscalationTicket
from leads.permissions import CanSeeTickets


@extend_schema_serializer(component_name="EscalationTicket")
class EscalationTicketSerializer(serializers.ModelSerializer):
    contact = serializers.IntegerField(source="contact_id")
    conversation = serializers.IntegerField(source="conversation_id")
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = EscalationTicket
        fields = [
            "id",
            "contact",
            "conversation",
            "reason",
            "summary",
            "priority",
            "status",
            "due_at",
            "assignee",
            "assigned_at",
            "resolution_note",
            "resolved_at",
            "occurrences",
            "created_at",
        ]


ESCALATION_EXAMPLE = {
    "id": 5,
    "contact": 42,
    "conversation": 7,
    "reason": "asked_for_person",
    "summary": "Asked to talk to a real person",
    "priority": "high",
    "status": "open",
    "due_at": "2026-03-02T18:05:00Z",
    "assignee": None,
    "assigned_at": None,
    "resolution_note": "",
    "resolved_at": None,
    "occurrences": 1,
    "created_at": "2026-03-02T17:05:00Z",
}


class EscalationTicketListApi(ListAPIView):
    """Escalation tickets, newest first; ``?status=`` narrows them."""

    permission_classes = [CanSeeTickets]
    serializer_class = EscalationTicketSerializer

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)

    def get_queryset(self):
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.escalation_tickets(status=filters.validated_data.get("status", ""))

    @extend_schema(
        parameters=[FilterSerializer],
        examples=[
            OpenApiExample(
                "Open tickets",
                value={"next": None, "previous": None, "results": [ESCALATION_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EscalationTicketDetailApi(APIView):
    """One escalation ticket."""

    permission_classes = [CanSeeTickets]

    @extend_schema(
        responses=EscalationTicketSerializer,
        examples=[OpenApiExample("Asked for a person", value=ESCALATION_EXAMPLE)],
    )
    def get(self, request, ticket_id: int):
        ticket = selectors.escalation_tickets().filter(pk=ticket_id).first()
        if ticket is None:
            raise Http404("No such ticket.")
        return Response(EscalationTicketSerializer(ticket).data)
