"""Production: every secret must come from the environment, and ``check --deploy`` is clean."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
# No defaults here: a missing secret or host list stops the process at start-up.
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a long random value in production.")
if not ALLOWED_HOSTS or any("*" in host for host in ALLOWED_HOSTS):
    # "*" trusts any Host header a client sends: the chat page's endpoint link, the safe-redirect
    # check of the dashboard, the web chat's own-origin check and the WebSocket origin check
    # are all built from it.
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must name this site's host names in production, not '*': "
        "e.g. ALLOWED_HOSTS=jorge.example.com,web (a leading dot allows subdomains: .example.com)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Health checks come from the load balancer, and scrapes from Prometheus, over plain HTTP
# inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Cookies only over HTTPS, never readable by the page's scripts (no script here reads the CSRF
# cookie: forms and the API docs carry the token in the page), and not sent on cross-site
# requests other than top-level links (Lax: a ticket link in an email still arrives logged in).
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# One JSON object per line for the log pipeline; LOG_FORMAT=text for readable lines.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")  # noqa: F405
WHITENOISE_USE_FINDERS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
