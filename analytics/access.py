"""Who may open which dashboard page.

Jorge (a superuser) and staff see every page. Members of the ``reviewers`` group (staff
too, so they can work tickets in the back office) see only the tickets panel: any other
page sends them there. Anyone else who is logged in gets 403; a visitor who is not logged
in is sent to the login page and back.
"""

from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from leads.permissions import REVIEWERS_GROUP

TICKETS_PAGE = "dashboard:tickets"


def is_reviewer(user) -> bool:
    """In the reviewers group and not a superuser (Jorge sees everything whatever his groups)."""
    if not user.is_authenticated or user.is_superuser:
        return False
    cached = getattr(user, "_dashboard_is_reviewer", None)
    if cached is None:
        # One query per request at most: the nav and the view both ask.
        cached = user.groups.filter(name=REVIEWERS_GROUP).exists()
        user._dashboard_is_reviewer = cached
    return cached


def can_see_everything(user) -> bool:
    """Jorge and staff who are not reviewers: every page of the dashboard."""
    return user.is_authenticated and user.is_active and user.is_staff and not is_reviewer(user)


def can_see_tickets(user) -> bool:
    """The tickets panel: everyone who sees everything, and reviewers."""
    return (
        user.is_authenticated and user.is_active and (can_see_everything(user) or is_reviewer(user))
    )


def check_access(request, *, reviewers: bool):
    """None when ``request.user`` may open the page, else the response to send instead."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if can_see_everything(user) or (reviewers and can_see_tickets(user)):
        return None
    if can_see_tickets(user):
        return redirect(TICKETS_PAGE)
    raise PermissionDenied("The dashboard is for Jorge and his staff.")


def dashboard_view(view=None, *, reviewers: bool = False):
    """Decorate a dashboard view: login required; ``reviewers=True`` lets reviewers in too."""

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            denied = check_access(request, reviewers=reviewers)
            if denied is not None:
                return denied
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


class DashboardAccessMixin(AccessMixin):
    """The same rule for class-based views; set ``reviewers_allowed = True`` for the tickets."""

    reviewers_allowed = False

    def dispatch(self, request, *args, **kwargs):
        denied = check_access(request, reviewers=self.reviewers_allowed)
        if denied is not None:
            return denied
        return super().dispatch(request, *args, **kwargs)
