"""Deals (Jorge's and his staff's): the pipeline, one opportunity per row."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors
from leads.models import Deal
from leads.permissions import IsJorgeOrStaff


@extend_schema_serializer(component_name="Deal")
class DealSerializer(serializers.ModelSerializer):
    contact = serializers.IntegerField(source="contact_id", help_text="The contact's id.")

    class Meta:
        model = Deal
        fields = [
            "id",
            "contact",
            "name",
            "side",
            "stage",
            "property_address",
            "value",
            "commission_percent_override",
            "expected_close_on",
            "closed_at",
            "ghl_opportunity_id",
            "created_at",
        ]


DEAL_EXAMPLE = {
    "id": 12,
    "contact": 42,
    "name": "Maria Lopez · buy",
    "side": "buy",
    "stage": "under_contract",
    "property_address": "1234 Magnolia Ave, Riverside",
    "value": "585000.00",
    "commission_percent_override": None,
    "expected_close_on": "2026-04-15",
    "closed_at": None,
    "ghl_opportunity_id": "opp_9f2",
    "created_at": "2026-02-10T18:00:00Z",
}


class DealListApi(ListAPIView):
    """Deals, newest first; ``?stage=``, ``?side=`` and ``?contact=`` narrow them."""

    permission_classes = [IsJorgeOrStaff]
    serializer_class = DealSerializer

    class FilterSerializer(serializers.Serializer):
        stage = serializers.ChoiceField(choices=Deal.Stage.choices, required=False)
        side = serializers.ChoiceField(choices=Deal.Side.choices, required=False)
        contact = serializers.IntegerField(required=False, min_value=1, help_text="A contact id.")

    def get_queryset(self):
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return selectors.deals(
            stage=data.get("stage", ""), side=data.get("side", ""), contact_id=data.get("contact")
        )

    @extend_schema(
        parameters=[FilterSerializer],
        examples=[
            OpenApiExample(
                "Deals under contract",
                value={"next": None, "previous": None, "results": [DEAL_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DealDetailApi(APIView):
    """One deal."""

    permission_classes = [IsJorgeOrStaff]

    @extend_schema(
        responses=DealSerializer, examples=[OpenApiExample("Under contract", value=DEAL_EXAMPLE)]
    )
    def get(self, request, deal_id: int):
        deal = selectors.deals().filter(pk=deal_id).first()
        if deal is None:
            raise Http404("No such deal.")
        return Response(DealSerializer(deal).data)
