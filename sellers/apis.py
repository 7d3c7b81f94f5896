"""The sellers API: start a CMA of a lead's home and follow it (the dashboard and the admin
call the same service, ``sellers.services.cma.trigger_cma``)."""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.models import Contact
from leads.permissions import IsJorgeOrStaff
from sellers import selectors
from sellers.models import CMAReport
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

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer})
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

    @extend_schema(responses=CMAReportSerializer)
    def get(self, request, report_id: int):
        try:
            report = selectors.cma_report_status(report_id=report_id)
        except CMAReport.DoesNotExist as exc:
            raise Http404("No such CMA report.") from exc
        return Response(CMAReportSerializer(report).data)
