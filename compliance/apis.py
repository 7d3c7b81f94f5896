"""The compliance API: the check the bots run (a dry run), and compliance tickets."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import selectors
from compliance.checks import DIRECTIONS, SEVERITIES, VIOLATION_TYPES, check_message
from compliance.models import ComplianceTicket, TicketStatus
from leads.permissions import CanSeeTickets


@extend_schema_serializer(component_name="ComplianceViolation")
class ViolationSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=VIOLATION_TYPES)
    category = serializers.CharField()
    evidence = serializers.CharField(help_text="The words that broke the rule, redacted.")
    severity = serializers.ChoiceField(choices=SEVERITIES)


class ComplianceCheckApi(APIView):
    """The compliance check the bots run: fair housing, sensitive data and TCPA, in one call.

    A dry run: it opens no ticket and stores nothing. Evidence comes back redacted.
    """

    @extend_schema_serializer(component_name="ComplianceCheckInput")
    class InputSerializer(serializers.Serializer):
        message = serializers.CharField(max_length=5000, trim_whitespace=True)
        direction = serializers.ChoiceField(
            choices=DIRECTIONS,
            help_text="inbound: a lead's message; outbound: a draft the bot would send.",
        )

    @extend_schema_serializer(component_name="ComplianceCheckResult")
    class OutputSerializer(serializers.Serializer):
        violations = ViolationSerializer(many=True)

    @extend_schema(
        request=InputSerializer,
        responses=OutputSerializer,
        summary="Check a message for fair-housing, privacy and TCPA violations",
        examples=[
            OpenApiExample(
                "A steering draft",
                value={"message": "Great area for young families!", "direction": "outbound"},
                request_only=True,
            ),
            OpenApiExample(
                "Sensitive data from a lead",
                value={"message": "my SSN is 123-45-6789", "direction": "inbound"},
                request_only=True,
            ),
            OpenApiExample(
                "Found",
                value={
                    "violations": [
                        {
                            "type": "privacy",
                            "category": "ssn",
                            "evidence": "my SSN is [SSN removed]",
                            "severity": "high",
                        }
                    ]
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        violations = check_message(data.validated_data["message"], data.validated_data["direction"])
        return Response(
            self.OutputSerializer({"violations": [v.as_dict() for v in violations]}).data
        )


@extend_schema_serializer(component_name="ComplianceTicket")
class ComplianceTicketSerializer(serializers.ModelSerializer):
    contact = serializers.IntegerField(source="contact_id", allow_null=True)
    conversation = serializers.IntegerField(source="conversation_id", allow_null=True)
    message = serializers.IntegerField(source="message_id", allow_null=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ComplianceTicket
        fields = [
            "id",
            "type",
            "category",
            "severity",
            "direction",
            "evidence",
            "contact",
            "conversation",
            "message",
            "status",
            "assignee",
            "assigned_at",
            "due_at",
            "resolution_note",
            "resolved_at",
            "created_at",
        ]


COMPLIANCE_TICKET_EXAMPLE = {
    "id": 9,
    "type": "privacy",
    "category": "ssn",
    "severity": "high",
    "direction": "inbound",
    "evidence": "my SSN is [SSN removed]",
    "contact": 42,
    "conversation": 7,
    "message": 310,
    "status": "open",
    "assignee": None,
    "assigned_at": None,
    "due_at": "2026-03-02T21:05:00Z",
    "resolution_note": "",
    "resolved_at": None,
    "created_at": "2026-03-02T17:05:00Z",
}


class ComplianceTicketListApi(ListAPIView):
    """Compliance tickets, newest first; ``?status=`` narrows them."""

    permission_classes = [CanSeeTickets]
    serializer_class = ComplianceTicketSerializer

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)

    def get_queryset(self):
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.compliance_tickets(status=filters.validated_data.get("status"))

    @extend_schema(
        parameters=[FilterSerializer],
        examples=[
            OpenApiExample(
                "Open tickets",
                value={"next": None, "previous": None, "results": [COMPLIANCE_TICKET_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ComplianceTicketDetailApi(APIView):
    """One compliance ticket (the evidence is stored redacted)."""

    permission_classes = [CanSeeTickets]

    @extend_schema(
        responses=ComplianceTicketSerializer,
        examples=[OpenApiExample("Sensitive data", value=COMPLIANCE_TICKET_EXAMPLE)],
    )
    def get(self, request, ticket_id: int):
        ticket = selectors.compliance_tickets().filter(pk=ticket_id).first()
        if ticket is None:
            raise Http404("No such ticket.")
        return Response(ComplianceTicketSerializer(ticket).data)
