"""Reads behind Jorge's dashboard."""

from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from leads.models import Contact, Conversation, Deal, Temperature


def pipeline_summary(*, as_of=None) -> dict:
    """Leads by temperature, conversations by stage, and deals with their commission."""
    as_of = as_of or timezone.now()
    temperatures = dict(
        Contact.objects.filter(created_at__lte=as_of)
        .values_list("temperature")
        .annotate(n=Count("id"))
        .values_list("temperature", "n")
    )
    stages = dict(
        Conversation.objects.filter(created_at__lte=as_of)
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    commission = ExpressionWrapper(
        F("value") * F("commission_rate"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    deals = Deal.objects.filter(created_at__lte=as_of).aggregate(
        open=Count("id", filter=~Q(stage__in=[Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST])),
        won=Count("id", filter=Q(stage=Deal.Stage.CLOSED_WON)),
        commission_earned=Sum(commission, filter=Q(stage=Deal.Stage.CLOSED_WON)),
        commission_pending=Sum(commission, filter=Q(stage=Deal.Stage.UNDER_CONTRACT)),
    )
    return {
        "as_of": as_of,
        "leads_by_temperature": {t: temperatures.get(t, 0) for t, _ in Temperature.choices},
        "conversations_by_stage": {s: stages.get(s, 0) for s, _ in Conversation.Stage.choices},
        "deals_open": deals["open"],
        "deals_won": deals["won"],
        "commission_earned": (deals["commission_earned"] or Decimal(0)).quantize(Decimal(1)),
        "commission_pending": (deals["commission_pending"] or Decimal(0)).quantize(Decimal(1)),
    }
