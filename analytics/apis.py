from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors


class PipelineSummaryApi(APIView):
    """Jorge's pipeline at a glance: the same figures the dashboard draws."""

    permission_classes = [IsAdminUser]

    @extend_schema_serializer(component_name="PipelineSummary")
    class OutputSerializer(serializers.Serializer):
        as_of = serializers.DateTimeField()
        leads_by_temperature = serializers.DictField(child=serializers.IntegerField())
        conversations_by_stage = serializers.DictField(child=serializers.IntegerField())
        deals_open = serializers.IntegerField()
        deals_won = serializers.IntegerField()
        commission_earned = serializers.DecimalField(max_digits=14, decimal_places=0)
        commission_pending = serializers.DecimalField(max_digits=14, decimal_places=0)

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        return Response(self.OutputSerializer(selectors.pipeline_summary()).data)
