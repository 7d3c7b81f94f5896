"""Jorge's figures over the API: the overview's tiles, the pipeline and the commission page.
The same selectors draw the dashboard, so the API and the pages never disagree."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.permissions import IsJorgeOrStaff

from . import selectors

MONEY = {"max_digits": 14, "decimal_places": 2}


class PipelineSummaryApi(APIView):
    """Jorge's pipeline at a glance: the same figures the dashboard draws."""

    permission_classes = [IsJorgeOrStaff]

    @extend_schema_serializer(component_name="PipelineSummary")
    class OutputSerializer(serializers.Serializer):
        as_of = serializers.DateTimeField()
        leads_by_temperature = serializers.DictField(child=serializers.IntegerField())
        conversations_by_stage = serializers.DictField(child=serializers.IntegerField())
        deals_open = serializers.IntegerField()
        deals_won = serializers.IntegerField()
        commission_earned = serializers.DecimalField(max_digits=14, decimal_places=0)
        commission_pending = serializers.DecimalField(max_digits=14, decimal_places=0)

    @extend_schema(
        responses=OutputSerializer,
        examples=[
            OpenApiExample(
                "Today",
                value={
                    "as_of": "2026-03-02T17:00:00Z",
                    "leads_by_temperature": {"hot": 31, "warm": 102, "cold": 167},
                    "conversations_by_stage": {"new": 12, "qualifying": 80, "qualified": 40},
                    "deals_open": 24,
                    "deals_won": 9,
                    "commission_earned": "41250",
                    "commission_pending": "18900",
                },
            )
        ],
    )
    def get(self, request):
        return Response(self.OutputSerializer(selectors.pipeline_summary()).data)


class OverviewApi(APIView):
    """The overview page's tiles: new and hot leads, first-response times and the five-minute
    rule, active conversations, open and overdue tickets, the open pipeline and this month's
    projected commission (docs/dashboard.md says how each is computed)."""

    permission_classes = [IsJorgeOrStaff]

    @extend_schema_serializer(component_name="OverviewKpis")
    class OutputSerializer(serializers.Serializer):
        as_of = serializers.DateTimeField()
        new_leads_today = serializers.IntegerField()
        hot_leads = serializers.IntegerField()
        first_response_median = serializers.FloatField(allow_null=True, help_text="Seconds.")
        first_response_p95 = serializers.FloatField(allow_null=True, help_text="Seconds.")
        five_minute_rate = serializers.FloatField(
            allow_null=True, help_text="Percent of first replies within five minutes."
        )
        five_minute_answered = serializers.IntegerField()
        active_conversations = serializers.IntegerField()
        open_tickets = serializers.IntegerField()
        overdue_tickets = serializers.IntegerField()
        open_escalations = serializers.IntegerField()
        open_compliance = serializers.IntegerField()
        pipeline_value = serializers.DecimalField(**MONEY)
        open_deals = serializers.IntegerField()
        projected_commission = serializers.DecimalField(**MONEY)

    @extend_schema(
        responses=OutputSerializer,
        examples=[
            OpenApiExample(
                "Today",
                value={
                    "as_of": "2026-03-02T17:00:00Z",
                    "new_leads_today": 6,
                    "hot_leads": 31,
                    "first_response_median": 4.1,
                    "first_response_p95": 38.0,
                    "five_minute_rate": 97.5,
                    "five_minute_answered": 120,
                    "active_conversations": 44,
                    "open_tickets": 3,
                    "overdue_tickets": 1,
                    "open_escalations": 2,
                    "open_compliance": 1,
                    "pipeline_value": "9450000.00",
                    "open_deals": 24,
                    "projected_commission": "12600.00",
                },
            )
        ],
    )
    def get(self, request):
        return Response(self.OutputSerializer(selectors.overview_kpis()).data)


class _StageLineSerializer(serializers.Serializer):
    stage = serializers.CharField()
    probability = serializers.DecimalField(max_digits=5, decimal_places=4)
    deals = serializers.IntegerField()
    sale_value = serializers.DecimalField(**MONEY)
    commission = serializers.DecimalField(**MONEY, help_text="If every deal at the stage closed.")
    weighted = serializers.DecimalField(**MONEY, help_text="Commission × the stage's odds.")


class _MonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The month's first day.")
    closed = serializers.DecimalField(**MONEY)
    weighted = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    open_deals = serializers.IntegerField()


class CommissionApi(APIView):
    """The commission page in figures: Jorge's take-home this month, the weighted pipeline by
    stage, the forecast by month and the year against its goal (analytics/rules.py)."""

    permission_classes = [IsJorgeOrStaff]

    @extend_schema_serializer(component_name="CommissionSummary")
    class OutputSerializer(serializers.Serializer):
        today = serializers.DateField()
        this_month = _MonthSerializer()
        pipeline_stages = _StageLineSerializer(many=True, source="pipeline.stages")
        pipeline_weighted = serializers.DecimalField(**MONEY, source="pipeline.weighted")
        forecast = _MonthSerializer(many=True)
        year = serializers.IntegerField(source="year_to_date.year")
        year_closed = serializers.DecimalField(**MONEY, source="year_to_date.closed")
        year_deals = serializers.IntegerField(source="year_to_date.deals")
        year_goal = serializers.DecimalField(**MONEY, source="year_to_date.goal")

    @extend_schema(
        responses=OutputSerializer,
        examples=[
            OpenApiExample(
                "March",
                value={
                    "today": "2026-03-02",
                    "this_month": {
                        "month": "2026-03-01",
                        "closed": "4200.00",
                        "weighted": "8400.00",
                        "total": "12600.00",
                        "open_deals": 5,
                    },
                    "pipeline_stages": [
                        {
                            "stage": "under_contract",
                            "probability": "0.9000",
                            "deals": 3,
                            "sale_value": "1755000.00",
                            "commission": "21060.00",
                            "weighted": "18954.00",
                        }
                    ],
                    "pipeline_weighted": "31800.00",
                    "forecast": [],
                    "year": 2026,
                    "year_closed": "41250.00",
                    "year_deals": 9,
                    "year_goal": "250000.00",
                },
            )
        ],
    )
    def get(self, request):
        return Response(self.OutputSerializer(selectors.commission_overview()).data)
