"""How a program signs its API calls: ``Authorization: Bearer <secret>`` with an API token
issued in the back office (leads.models.ApiToken).

A read-only token is refused on any unsafe method (POST, PUT, PATCH, DELETE) here, with a 403
that says so: the check sits where every request passes, so no view can forget it, whatever
its own permission classes.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

KEYWORD = b"bearer"


class ReadOnlyToken(exceptions.PermissionDenied):
    default_detail = (
        "This API token is read-only: it may only read (GET). "
        "Ask for a read-write token to make changes."
    )
    default_code = "read_only_token"


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        # Imported here: DRF imports this class while config.errors, which the services'
        # modules import, is still loading.
        from leads.exceptions import ApiTokenRefused
        from leads.services.api_tokens import authenticate_api_token

        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None  # not ours: the session may still authenticate the request
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as 'Authorization: Bearer <token>', with no spaces in it."
            )
        try:
            secret = parts[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(
                "The token has characters it cannot have."
            ) from exc
        try:
            token = authenticate_api_token(secret=secret)
        except ApiTokenRefused as exc:
            raise exceptions.AuthenticationFailed(exc.message) from exc
        if request.method not in SAFE_METHODS and not token.allows_writes:
            raise ReadOnlyToken()
        return token.user, token

    def authenticate_header(self, request):
        # With this first among the authentication classes, a request without credentials
        # gets 401 and this header rather than 403.
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes the token (drf-spectacular finds it by the class path)."""

    target_class = "leads.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from the back office (Users and API access → API "
            "tokens): `Authorization: Bearer jrg_…`. Read-only tokens may only GET.",
        }
