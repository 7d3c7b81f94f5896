"""One error hierarchy for the whole app, and the DRF handler that renders it.

Every API error leaves as ``{"error": {"code", "message", "details"}}`` with a 4xx.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A business rule said no. Subclass per app; the handler turns it into a 4xx."""

    code = "application_error"
    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, details: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


def error_body(code: str, message: str, details: dict | list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", "The request is not valid.", response.data)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        body = error_body(getattr(exc, "default_code", "error"), str(detail))
    response.data = body
    return response


def not_found(request, exception):
    """A missing page: the branded page, except under /api/, where clients read JSON."""
    if request.path.startswith("/api/"):
        body = error_body("not_found", "No such endpoint: see /api/docs/ for the list.")
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)
