"""The OpenAPI schema's shared parts: the error body every 4xx carries, and the hook that lists
on each operation the errors it can answer with (schemathesis holds us to them in CI)."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a code a program can test, a message a person can read.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "not_found"},
                "message": {"type": "string", "example": "No such conversation."},
                "details": {
                    "description": "For 400: the fields and what is wrong with each.",
                    "oneOf": [{"type": "object"}, {"type": "array"}],
                },
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}

# status: (description, example code, example message)
ERRORS = {
    "400": (
        "The request is not valid (a field, a filter, or a body that does not parse); `details` "
        "says what.",
        "invalid",
        "The request is not valid.",
    ),
    "401": (
        "No credentials, or an unknown or revoked token.",
        "authentication_failed",
        "This API token was revoked.",
    ),
    "403": (
        "Signed in, but not allowed: a reviewer outside the tickets, or a read-only token "
        "on a write.",
        "permission_denied",
        "This API token is read-only: it may only read (GET). Ask for a read-write token to "
        "make changes.",
    ),
    "404": (
        "No such object, or not one this user may see; or a cursor that was tampered with.",
        "not_found",
        "No such conversation.",
    ),
    "415": (
        "The body's Content-Type is not JSON, a form or multipart.",
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
    ),
    "429": (
        "Too many requests: wait `Retry-After` seconds.",
        "throttled",
        "Request was throttled. Expected available in 12 seconds.",
    ),
}


def _error_response(status: str) -> dict:
    description, code, message = ERRORS[status]
    response = {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"error": {"code": code, "message": message, "details": {}}},
            }
        },
    }
    if status == "429":
        response["headers"] = RETRY_AFTER
    return response


UNSAFE = {"post", "put", "patch", "delete"}


def _errors_of(operation: dict, method: str, path_params: bool) -> list[str]:
    query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    path = path_params or any(p.get("in") == "path" for p in operation.get("parameters", []))
    security = operation.get("security", [{}])
    signed = security != [] and {} not in security
    # A write signed by the session cookie has its body parsed by the CSRF check (it looks for
    # csrfmiddlewaretoken), even an action that takes no body: a body that is not JSON, a form
    # or multipart answers 415, and JSON that does not parse 400.
    parsed = "requestBody" in operation or (
        method in UNSAFE and any("cookieAuth" in scheme for scheme in security)
    )
    codes = []
    if query or parsed:
        codes.append("400")
    if signed:
        codes += ["401", "403"]
    if path or any(p["name"] == "cursor" for p in query):
        codes.append("404")
    if parsed:
        codes.append("415")
    codes.append("429")
    return codes


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the Error component, and on each operation the
    error statuses it can answer with (those it does not already document)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, item in result.get("paths", {}).items():
        path_params = "{" in path
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in _errors_of(operation, method, path_params):
                responses.setdefault(status, _error_response(status))
    return result


class _ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField()


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """For an operation's own error statuses (409…); the hook above replaces the component
    with ERROR_SCHEMA, the same shape, documented."""

    error = _ErrorBodySerializer()
