"""Who may do what in the back office: the ``reviewers`` group.

Reviewers work the escalation tickets and read contacts, conversations and messages; they
never see users, settings, webhook events or the outbox. ``REVIEWER_PERMISSIONS`` is the one
list: another app adds its rows (e.g. ``("compliance", "complianceticket", ("view",
"change"))``) and a migration of its own calls ``grant_reviewer_permissions`` again.
"""

from rest_framework.permissions import BasePermission

REVIEWERS_GROUP = "reviewers"

# (app label, model name, actions)
REVIEWER_PERMISSIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("leads", "escalationticket", ("view", "change")),
    ("leads", "contact", ("view",)),
    ("leads", "conversation", ("view",)),
    ("leads", "message", ("view",)),
    ("compliance", "complianceticket", ("view", "change")),
]


def grant_reviewer_permissions(apps, permissions=None) -> None:
    """Create the reviewers group if needed and give it ``permissions`` (migrations call this).

    Permissions are created first: in a fresh database they only appear after migrate ends.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    for app_label, model, actions in permissions or REVIEWER_PERMISSIONS:
        for action in actions:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=f"{action}_{model}"
                )
            )


class IsJorgeOrStaff(BasePermission):
    """The dashboard's rule for the API: Jorge and staff, not the reviewers (who work tickets
    only; analytics.access)."""

    message = (
        "Only Jorge and his staff may do this; reviewers reach tickets and their conversations."
    )

    def has_permission(self, request, view) -> bool:
        from analytics.access import can_see_everything

        return can_see_everything(request.user)


class CanSeeTickets(BasePermission):
    """Jorge, staff and reviewers: the tickets and the conversations they are about (the
    querysets narrow a reviewer's view to those; leads.selectors.conversations_visible_to)."""

    message = "Only Jorge, his staff and the reviewers may see tickets."

    def has_permission(self, request, view) -> bool:
        from analytics.access import can_see_tickets

        return can_see_tickets(request.user)
