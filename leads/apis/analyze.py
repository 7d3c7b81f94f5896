"""What a lead's message says, as the bots read it (no lead is stored or changed)."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from leads.intelligence.engine import analyze_lead
from leads.intelligence.schema import INTENTS, LANGUAGES, TEMPERATURES, TIMELINES


class BudgetSerializer(serializers.Serializer):
    min = serializers.IntegerField(allow_null=True)
    max = serializers.IntegerField(allow_null=True)


class LeadAnalyzeApi(APIView):
    """What a lead's message says: intent, budget, timeline, pre-approval, language, score."""

    # Each call may cost a Claude request: a per-user ceiling keeps a loop from running up a bill.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "analyze"

    @extend_schema_serializer(component_name="LeadAnalyzeInput")
    class InputSerializer(serializers.Serializer):
        message = serializers.CharField(max_length=5000, trim_whitespace=True)
        history = serializers.ListField(
            child=serializers.CharField(max_length=5000, allow_blank=True),
            required=False,
            max_length=50,
        )

    @extend_schema_serializer(component_name="LeadAnalysis")
    class OutputSerializer(serializers.Serializer):
        intent = serializers.ChoiceField(choices=INTENTS)
        budget = BudgetSerializer()
        timeline = serializers.ChoiceField(choices=TIMELINES)
        pre_approved = serializers.BooleanField(allow_null=True)
        language = serializers.ChoiceField(choices=LANGUAGES)
        score = serializers.IntegerField(min_value=0, max_value=100)
        temperature = serializers.ChoiceField(choices=TEMPERATURES)
        reasons = serializers.ListField(child=serializers.CharField())
        engine = serializers.ChoiceField(choices=["claude", "offline"])

    @extend_schema(
        request=InputSerializer,
        responses=OutputSerializer,
        examples=[
            OpenApiExample(
                "Buyer",
                value={"message": "Pre-approved for 450k, want to buy in Fontana in 2 months"},
                request_only=True,
            ),
            OpenApiExample(
                "What it says",
                value={
                    "intent": "buyer",
                    "budget": {"min": None, "max": 450000},
                    "timeline": "1_3_months",
                    "pre_approved": True,
                    "language": "en",
                    "score": 78,
                    "temperature": "hot",
                    "reasons": ["pre-approved", "moving within 3 months"],
                    "engine": "offline",
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        analysis = analyze_lead(
            message=data.validated_data["message"], history=data.validated_data.get("history")
        )
        return Response(self.OutputSerializer(analysis.as_api_dict()).data)
