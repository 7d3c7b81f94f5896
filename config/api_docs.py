"""The API reference pages: Swagger UI and Redoc, from our own static files.

The schema they read needs a login; a visitor who is not logged in gets a page that says so
and links to the login, instead of a bare "403 Forbidden".
"""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

_swagger = SpectacularSwaggerView.as_view(url_name="api-schema")
_redoc = SpectacularRedocView.as_view(url_name="api-schema")


def _login_first(request: HttpRequest) -> HttpResponse:
    login = f"{reverse('admin:login')}?{urlencode({'next': request.get_full_path()})}"
    return render(request, "api_docs_login.html", {"login_url": login}, status=403)


def swagger(request: HttpRequest) -> HttpResponse:
    """The API reference (Swagger UI): try each endpoint in the browser."""
    return _swagger(request) if request.user.is_authenticated else _login_first(request)


def redoc(request: HttpRequest) -> HttpResponse:
    """The API reference as one readable page (Redoc)."""
    return _redoc(request) if request.user.is_authenticated else _login_first(request)
