"""Reviewers work the compliance tickets too (leads/permissions.py)."""

from django.db import migrations

# As it stood when this migration was written, so it means the same thing forever.
PERMISSIONS = [("compliance", "complianceticket", ("view", "change"))]


def grant(apps, schema_editor):
    from leads.permissions import grant_reviewer_permissions

    grant_reviewer_permissions(apps, PERMISSIONS)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="reviewers").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="compliance", codename__endswith="_complianceticket"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0004_redact_sensitive_data"),
        ("leads", "0007_reviewers_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
