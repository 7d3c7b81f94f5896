"""Contacts: the leads explorer's list (the dashboard's filters, one place: analytics.selectors)
and one contact with its qualification, score history and consent."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors as dashboard_selectors
from analytics.forms import LeadFilterForm
from compliance.models import ConsentRecord
from leads import selectors
from leads.models import Contact, Conversation
from leads.permissions import IsJorgeOrStaff


def _filter_parameters() -> list[OpenApiParameter]:
    """The explorer's filters as query parameters, with the choices its form accepts."""
    form = LeadFilterForm(sources=[])
    parameters = []
    for name, field in form.fields.items():
        if name in {"page", "source"}:
            continue
        choices = [value for value, _ in getattr(field, "choices", []) if value]
        parameters.append(
            OpenApiParameter(
                name,
                OpenApiTypes.DATE if name.startswith("created_") else OpenApiTypes.STR,
                enum=choices or None,
                description=str(field.label or name.replace("_", " ").capitalize()),
            )
        )
    parameters.append(
        OpenApiParameter("source", OpenApiTypes.STR, description="Where the lead came from.")
    )
    return parameters


@extend_schema_serializer(component_name="ContactSummary")
class ContactSummarySerializer(serializers.ModelSerializer):
    stage = serializers.ChoiceField(
        choices=Conversation.Stage.choices,
        allow_null=True,
        help_text="The stage of the contact's latest conversation (null: none yet).",
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "first_name",
            "last_name",
            "phone",
            "temperature",
            "score",
            "intent",
            "budget_max",
            "timeline",
            "language",
            "source",
            "created_at",
            "stage",
        ]


CONTACT_EXAMPLE = {
    "id": 42,
    "first_name": "Maria",
    "last_name": "Lopez",
    "phone": "+17145550999",
    "temperature": "hot",
    "score": 82,
    "intent": "buyer",
    "budget_max": 600000,
    "timeline": "1_3_months",
    "language": "en",
    "source": "Zillow",
    "created_at": "2026-03-02T17:04:11Z",
    "stage": "qualified",
}


class ContactListApi(ListAPIView):
    """The leads, newest first, under the leads explorer's filters (the same filters, the same
    order as the dashboard's explorer; an invalid filter is a 400 that says which)."""

    permission_classes = [IsJorgeOrStaff]
    serializer_class = ContactSummarySerializer
    cursor_ordering = ("-created_at", "-id")

    def get_queryset(self):
        form = LeadFilterForm(
            data=self.request.query_params, sources=dashboard_selectors.lead_sources()
        )
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        return dashboard_selectors.lead_list(form.filters())

    @extend_schema(
        operation_id="contacts_list",
        parameters=_filter_parameters(),
        examples=[
            OpenApiExample(
                "A page of hot buyers",
                value={"next": None, "previous": None, "results": [CONTACT_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema_serializer(component_name="ConsentRecord")
class ConsentRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsentRecord
        fields = ["kind", "at", "source", "wording", "channel"]


@extend_schema_serializer(component_name="ScoreChange")
class ScoreChangeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    score = serializers.IntegerField(allow_null=True, help_text="Null: only the temperature moved.")
    temperature = serializers.CharField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(component_name="Consent")
class ConsentSerializer(serializers.Serializer):
    opted_out = serializers.BooleanField()
    opted_out_at = serializers.DateTimeField(allow_null=True)
    opted_out_reason = serializers.CharField(allow_blank=True)
    dnd = serializers.BooleanField(help_text="Do not disturb (set in HighLevel).")
    dnd_at = serializers.DateTimeField(allow_null=True)
    dnd_reason = serializers.CharField(allow_blank=True)
    records = ConsentRecordSerializer(
        source="consent_records", many=True, help_text="Evidence, newest first."
    )


@extend_schema_serializer(component_name="ContactConversation")
class ContactConversationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = ["id", "channel", "bot", "stage", "status", "last_inbound_at", "last_outbound_at"]


class ContactDetailApi(APIView):
    """One contact: what the bots learned (qualification and score), how the score moved,
    consent, and the contact's conversations."""

    permission_classes = [IsJorgeOrStaff]

    @extend_schema_serializer(component_name="ContactDetail")
    class OutputSerializer(serializers.ModelSerializer):
        consent = ConsentSerializer(source="*")
        score_history = serializers.SerializerMethodField()
        conversations = ContactConversationSerializer(many=True)

        class Meta:
            model = Contact
            fields = [
                "id",
                "ghl_contact_id",
                "first_name",
                "last_name",
                "phone",
                "email",
                "source",
                "tags",
                "timezone",
                "state",
                "language",
                "created_at",
                "updated_at",
                "intent",
                "budget_min",
                "budget_max",
                "timeline",
                "pre_approved",
                "area",
                "score",
                "temperature",
                "score_reasons",
                "bot_paused_until",
                "consent",
                "score_history",
                "conversations",
            ]

        @extend_schema_field(ScoreChangeSerializer(many=True))
        def get_score_history(self, contact: Contact) -> list[dict]:
            return ScoreChangeSerializer(
                [
                    {
                        "at": event.at,
                        "score": event.data.get("score"),
                        "temperature": event.data.get("temperature"),
                        "reasons": event.data.get("reasons", []),
                    }
                    for event in selectors.score_history(contact=contact)
                ],
                many=True,
            ).data

    @extend_schema(
        operation_id="contacts_retrieve",
        responses=OutputSerializer,
        examples=[
            OpenApiExample(
                "A hot buyer",
                value={
                    **{k: v for k, v in CONTACT_EXAMPLE.items() if k != "stage"},
                    "ghl_contact_id": "aBc123",
                    "email": "maria@example.com",
                    "tags": ["buyer"],
                    "timezone": "America/Los_Angeles",
                    "state": "CA",
                    "updated_at": "2026-03-02T17:20:00Z",
                    "budget_min": 500000,
                    "pre_approved": True,
                    "area": "Riverside",
                    "score_reasons": ["pre-approved", "moving within 3 months"],
                    "bot_paused_until": None,
                    "consent": {
                        "opted_out": False,
                        "opted_out_at": None,
                        "opted_out_reason": "",
                        "dnd": False,
                        "dnd_at": None,
                        "dnd_reason": "",
                        "records": [
                            {
                                "kind": "granted",
                                "at": "2026-03-02T17:04:11Z",
                                "source": "web form",
                                "wording": "I agree to receive texts",
                                "channel": "sms",
                            }
                        ],
                    },
                    "score_history": [
                        {
                            "at": "2026-03-02T17:05:00Z",
                            "score": 82,
                            "temperature": "hot",
                            "reasons": ["pre-approved"],
                        }
                    ],
                    "conversations": [
                        {
                            "id": 7,
                            "channel": "sms",
                            "bot": "buyer",
                            "stage": "qualified",
                            "status": "active",
                            "last_inbound_at": "2026-03-02T17:05:00Z",
                            "last_outbound_at": "2026-03-02T17:05:04Z",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, contact_id: int):
        try:
            contact = selectors.contact_detail(contact_id=contact_id)
        except Contact.DoesNotExist as exc:
            raise Http404("No such contact.") from exc
        return Response(self.OutputSerializer(contact).data)
