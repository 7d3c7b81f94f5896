"""The ``reviewers`` group and its permissions (leads/permissions.py)."""

from django.db import migrations

# The list as it stood when this migration was written: later additions come with their
# own migration, so this one means the same thing forever.
PERMISSIONS = [
    ("leads", "escalationticket", ("view", "change")),
    ("leads", "contact", ("view",)),
    ("leads", "conversation", ("view",)),
    ("leads", "message", ("view",)),
]


def create_reviewers(apps, schema_editor):
    from leads.permissions import grant_reviewer_permissions

    grant_reviewer_permissions(apps, PERMISSIONS)


def remove_reviewers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="reviewers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0006_escalation_tickets"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_reviewers, remove_reviewers)]
