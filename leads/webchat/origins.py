"""Which web pages may talk to the chat API: this site, and the origins in
``WEBCHAT_ALLOWED_ORIGINS`` (Jorge's website). Browsers send ``Origin`` with every
cross-site request and every POST, and cannot be made to lie about it; the CORS headers
below let those pages read the answers and no other page can."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Content-Type"
PREFLIGHT_MAX_AGE = "600"


def _normalized(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def own_origin(request: HttpRequest) -> str:
    return _normalized(f"{request.scheme}://{request.get_host()}")


def is_allowed_origin(request: HttpRequest, origin: str) -> bool:
    """This site's own pages, and the allow-list's (compared as scheme://host[:port])."""
    origin = _normalized(origin)
    if not origin or origin == "null":
        return False
    if origin == own_origin(request):
        return True
    return origin in {_normalized(o) for o in settings.WEBCHAT_ALLOWED_ORIGINS}


def add_cors_headers(response: HttpResponse, origin: str) -> HttpResponse:
    """Let the page at ``origin`` (already checked) read ``response``."""
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = CORS_METHODS
    response["Access-Control-Allow-Headers"] = CORS_HEADERS
    response["Access-Control-Expose-Headers"] = "Retry-After"
    response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    response["Vary"] = "Origin"
    return response
