from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.checks import DIRECTIONS, SEVERITIES, VIOLATION_TYPES, check_message


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
