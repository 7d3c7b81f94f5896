"""Reads of the compliance app."""

from django.db import models
from django.db.models import QuerySet

from .models import AuditEvent


def audit_trail(*, subject: models.Model) -> QuerySet[AuditEvent]:
    """Every audit event about ``subject``, newest first."""
    return AuditEvent.objects.filter(
        subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
    )
