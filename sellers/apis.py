"""The sellers API: homes (listings and sales), and a CMA of a lead's home, started and
followed (the dashboard and the admin call the same service, ``sellers.services.cma.trigger_cma``)."""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.models import Contact
from leads.permissions import IsJorgeOrStaff
from sellers import selectors
from sellers.models import CMAReport, Property
from sellers.services.cma import trigger_cma


@extend_schema_serializer(component_name="CMAReportStatus")
class CMAReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    contact = serializers.IntegerField(source="contact_id")
    address = serializers.CharField()
    city = serializers.CharField()
    status = serializers.CharField(help_text="pending, ready, insufficient or failed")
    estimate_low = serializers.IntegerField(allow_null=True)
    estimate_mid = serializers.IntegerField(allow_null=True)
    estimate_high = serializers.IntegerField(allow_null=True)
    confidence = serializers.CharField(help_text="high, medium, low or none")
    pdf_url = serializers.SerializerMethodField(help_text="Set once the PDF exists.")
    error = serializers.CharField()

    def get_pdf_url(self, report: CMAReport) -> str | None:
        return reverse("sellers:cma-download", args=[report.pk]) if report.pdf else None


CMA_EXAMPLE = {
    "id": 5,
    "contact": 42,
    "address": "1234 Magnolia Ave",
    "city": "Riverside",
    "status": "ready",
    "estimate_low": 560000,
    "estimate_mid": 585000,
    "estimate_high": 610000,
    "confidence": "high",
    "pdf_url": "/sellers/cma/5/download/",
    "error": "",
}


class CMATriggerApi(APIView):
    """Start a CMA of the contact's home (reused when one of the last 7 days still holds).

    The address defaults to the seller's qualification; 400 when there is none. The PDF is
    made after the request; follow it at ``GET /api/v1/sellers/cma/<id>``.
    """

    permission_classes = [IsJorgeOrStaff]

    @extend_schema_serializer(component_name="CMATriggerInput")
    class InputSerializer(serializers.Serializer):
        address = serializers.CharField(max_length=255, required=False)
        city = serializers.CharField(max_length=100, required=False)

    @extend_schema_serializer(component_name="CMATriggered")
    class OutputSerializer(CMAReportSerializer):
        reused = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer,
        responses={202: OutputSerializer},
        examples=[
            OpenApiExample(
                "The seller's home",
                value={"address": "1234 Magnolia Ave", "city": "Riverside"},
                request_only=True,
            ),
            OpenApiExample(
                "Started",
                value={
                    **CMA_EXAMPLE,
                    "status": "pending",
                    "estimate_low": None,
                    "estimate_mid": None,
                    "estimate_high": None,
                    "confidence": "none",
                    "pdf_url": None,
                    "reused": False,
                },
                response_only=True,
                status_codes=["202"],
            ),
        ],
    )
    def post(self, request, contact_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = Contact.objects.filter(pk=contact_id).first()
        if contact is None:
            raise Http404("No such contact.")
        report = trigger_cma(contact=contact, by=request.user, **data.validated_data)
        return Response(self.OutputSerializer(report).data, status=202)


class CMAReportApi(APIView):
    """A CMA report's status, estimate and PDF link."""

    permission_classes = [IsJorgeOrStaff]

    @extend_schema(
        responses=CMAReportSerializer, examples=[OpenApiExample("Ready", value=CMA_EXAMPLE)]
    )
    def get(self, request, report_id: int):
        try:
            report = selectors.cma_report_status(report_id=report_id)
        except CMAReport.DoesNotExist as exc:
            raise Http404("No such CMA report.") from exc
        return Response(CMAReportSerializer(report).data)


@extend_schema_serializer(component_name="Property")
class PropertySerializer(serializers.ModelSerializer):
    listing_url = serializers.SerializerMethodField(help_text="The public page, for active homes.")

    class Meta:
        model = Property
        fields = [
            "id",
            "mls_id",
            "address",
            "city",
            "state",
            "postal_code",
            "property_type",
            "beds",
            "baths",
            "living_sqft",
            "lot_sqft",
            "year_built",
            "status",
            "list_price",
            "sold_price",
            "sold_date",
            "features",
            "listing_url",
            "created_at",
        ]

    def get_listing_url(self, home: Property) -> str | None:
        if home.status != Property.Status.ACTIVE:
            return None
        return reverse("listings:detail", args=[home.slug])


PROPERTY_EXAMPLE = {
    "id": 3,
    "mls_id": "IV24123456",
    "address": "1234 Magnolia Ave",
    "city": "Riverside",
    "state": "CA",
    "postal_code": "92506",
    "property_type": "sfr",
    "beds": 3,
    "baths": "2.0",
    "living_sqft": 1650,
    "lot_sqft": 7200,
    "year_built": 1988,
    "status": "active",
    "list_price": 589000,
    "sold_price": None,
    "sold_date": None,
    "features": "pool, solar",
    "listing_url": "/p/1234-magnolia-ave-riverside/",
    "created_at": "2026-01-15T16:00:00Z",
}


class PropertyListApi(ListAPIView):
    """Homes, newest first; ``?status=`` and ``?city=`` narrow them."""

    permission_classes = [IsJorgeOrStaff]
    serializer_class = PropertySerializer

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Property.Status.choices, required=False)
        city = serializers.CharField(required=False, max_length=100)

    def get_queryset(self):
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.properties(**filters.validated_data)

    @extend_schema(
        parameters=[FilterSerializer],
        examples=[
            OpenApiExample(
                "Active listings in Riverside",
                value={"next": None, "previous": None, "results": [PROPERTY_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PropertyDetailApi(APIView):
    """One home."""

    permission_classes = [IsJorgeOrStaff]

    @extend_schema(
        responses=PropertySerializer,
        examples=[OpenApiExample("An active listing", value=PROPERTY_EXAMPLE)],
    )
    def get(self, request, property_id: int):
        home = selectors.properties().filter(pk=property_id).first()
        if home is None:
            raise Http404("No such home.")
        return Response(PropertySerializer(home).data)
