"""``config.wsgi`` plus ``/bench/bare/``, the load harness's baseline, on the same gunicorn.

``/bench/bare/`` is a plain Django view behind the same middleware as everything else: it
reads the body and answers ``{"received": true}``, as ``benchmarks/webhook_ack.py``'s does.
Gunicorn serves ``benchmarks.load_wsgi:application``; nothing else of the project changes.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


@csrf_exempt
def bare(request):
    request.body  # noqa: B018 (read it, as the webhook view does)
    return JsonResponse({"received": True})


urlpatterns = [path("bench/bare/", bare), path("", include("config.urls"))]
handler404 = "config.errors.not_found"
settings.ROOT_URLCONF = __name__
