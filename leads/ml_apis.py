"""The learned lead score over HTTP: ``POST /api/v1/ml/score`` (docs/lead-scoring.md)."""

from dataclasses import fields

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from config.schema import ErrorSerializer
from leads.intelligence.learned_score import FEATURE_FIELDS, LeadFeatures
from leads.models import Contact, Intent, Language, Temperature, Timeline
from leads.permissions import IsJorgeOrStaff
from leads.services.lead_score import ScorePrediction, predict_with_features, score_contact


@extend_schema_serializer(component_name="LeadScoreFeatures")
class LeadFeaturesSerializer(serializers.Serializer):
    """What is known about a lead when it is scored; every field is optional."""

    intent = serializers.ChoiceField(choices=Intent.choices, default="unknown")
    timeline = serializers.ChoiceField(choices=Timeline.choices, default="unknown")
    budget_max = serializers.IntegerField(
        min_value=0, max_value=100_000_000, allow_null=True, default=None, help_text="USD"
    )
    pre_approved = serializers.BooleanField(allow_null=True, default=None)
    area = serializers.CharField(max_length=120, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=Language.choices, default="en")
    source = serializers.CharField(max_length=120, allow_blank=True, default="")
    inbound_messages = serializers.IntegerField(
        min_value=0, max_value=10_000, default=0, help_text="Messages the lead sent so far."
    )
    avg_words = serializers.FloatField(
        min_value=0, max_value=1_000, default=0.0, help_text="Words per message of the lead."
    )
    reply_rate = serializers.FloatField(
        min_value=0, max_value=1, default=0.0, help_text="Share of our messages they answered."
    )
    median_reply_minutes = serializers.FloatField(
        min_value=0, allow_null=True, default=None, help_text="How fast they answer us."
    )
    first_response_seconds = serializers.FloatField(
        min_value=0, allow_null=True, default=None, help_text="How fast we first answered them."
    )

    def to_internal_value(self, data):
        # A name we do not know is refused, not ignored: a client sending "deal_stage" must
        # hear that it is not (and may not be) a feature.
        if isinstance(data, dict) and (unknown := sorted(set(data) - set(FEATURE_FIELDS))):
            raise serializers.ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY: [
                        f"Not features of the lead score: {', '.join(unknown)}. "
                        f"The features are: {', '.join(FEATURE_FIELDS)}."
                    ]
                }
            )
        return super().to_internal_value(data)


class ContributionSerializer(serializers.Serializer):
    feature = serializers.CharField()
    value = serializers.JSONField(help_text="The feature's value for this lead.")
    contribution = serializers.FloatField(
        help_text="Log-odds (learned: coefficient × standardised value) or points (rules)."
    )
    sign = serializers.ChoiceField(choices=["+", "-"])


class LeadScoreApi(APIView):
    """The chance a lead converts (a deal won), by the learned model, or by the rules while
    no model is trained (``scorer`` says which answered, ``reason`` why)."""

    permission_classes = [IsJorgeOrStaff]

    @extend_schema_serializer(component_name="LeadScoreInput")
    class InputSerializer(serializers.Serializer):
        contact_id = serializers.IntegerField(min_value=1, required=False)
        features = LeadFeaturesSerializer(required=False)

        def validate(self, attrs):
            if ("contact_id" in attrs) == ("features" in attrs):
                raise serializers.ValidationError("Give either contact_id or features (one).")
            if "features" in attrs:
                attrs["features"] = LeadFeatures(**attrs["features"])
            return attrs

    @extend_schema_serializer(component_name="LeadScore")
    class OutputSerializer(serializers.Serializer):
        contact_id = serializers.IntegerField(allow_null=True)
        probability = serializers.FloatField(
            allow_null=True, help_text="0-1, by the learned model; null when the rules answer."
        )
        temperature = serializers.ChoiceField(choices=Temperature.choices)
        top_features = ContributionSerializer(many=True)
        model_version = serializers.IntegerField(allow_null=True)
        scorer = serializers.ChoiceField(choices=["learned", "rules"])
        reason = serializers.CharField(allow_blank=True)
        rule_score = serializers.IntegerField(min_value=0, max_value=100)
        rule_temperature = serializers.ChoiceField(choices=Temperature.choices)

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 404: ErrorSerializer},
        description="Send a `contact_id` to score a contact from what is known about them "
        "now, or a `features` object to score any lead (every feature optional: "
        + ", ".join(f"`{f.name}`" for f in fields(LeadFeatures))
        + "). 400 with the reason for anything else; 404 for an unknown contact.",
        examples=[
            OpenApiExample("A contact", value={"contact_id": 42}, request_only=True),
            OpenApiExample(
                "Features",
                value={
                    "features": {
                        "intent": "buyer",
                        "timeline": "1_3_months",
                        "budget_max": 550000,
                        "pre_approved": True,
                        "area": "Fontana",
                        "source": "Referral",
                        "inbound_messages": 5,
                        "avg_words": 9.5,
                        "reply_rate": 0.8,
                        "median_reply_minutes": 12,
                    }
                },
                request_only=True,
            ),
            OpenApiExample(
                "Learned",
                value={
                    "contact_id": None,
                    "probability": 0.62,
                    "temperature": "hot",
                    "top_features": [
                        {"feature": "reply_rate", "value": 0.8, "contribution": 0.91, "sign": "+"},
                        {
                            "feature": "median_reply_minutes",
                            "value": 12,
                            "contribution": 0.55,
                            "sign": "+",
                        },
                    ],
                    "model_version": 3,
                    "scorer": "learned",
                    "reason": "",
                    "rule_score": 80,
                    "rule_temperature": "hot",
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact_id = data.validated_data.get("contact_id")
        if contact_id is not None:
            try:
                prediction = score_contact(contact_id=contact_id)
            except Contact.DoesNotExist as exc:
                raise NotFound("No such contact.") from exc
        else:
            prediction = predict_with_features(features=data.validated_data["features"])
        return Response(self.OutputSerializer(_output(prediction, contact_id)).data)


def _output(prediction: ScorePrediction, contact_id: int | None) -> dict:
    return {
        "contact_id": contact_id,
        "probability": prediction.probability,
        "temperature": prediction.temperature,
        "top_features": [
            {
                "feature": c.feature,
                "value": c.value,
                "contribution": c.contribution,
                "sign": c.sign,
            }
            for c in prediction.top_features
        ],
        "model_version": prediction.model_version,
        "scorer": prediction.scorer,
        "reason": prediction.reason,
        "rule_score": prediction.rule_score,
        "rule_temperature": prediction.rule_temperature,
    }
