"""The learned lead score: how long one score takes in process and through the API.

    python benchmarks/lead_scoring.py [--requests 1000]

Loads the demo's past leads into a throw-away SQLite file (set DATABASE_URL for
PostgreSQL), trains the model (``train_lead_model``), then times, in the same run:

* in process: ``predict_with_features`` on a feature dict (the active model's version read
  from the cache, the scorer already loaded), and ``score_contact`` (the lead's messages read
  from the database, then scored);
* through the API, with Django's test client and a logged-in session (the full middleware
  and DRF stack, no network): ``POST /api/v1/ml/score`` with a feature dict and with a
  contact_id, against a bare Django view (a JSON POST answered with ``{"ok": true}``)
  behind the same middleware.

Prints n, p50, p95 and mean in milliseconds of each.
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import types
from pathlib import Path

from _timing import summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from analytics.demo_outcomes import load_demo_outcomes  # noqa: E402
from leads.intelligence.learned_score import LeadFeatures  # noqa: E402
from leads.models import Contact  # noqa: E402
from leads.services.lead_score import predict_with_features, score_contact  # noqa: E402

BARE_PATH = "/bench/bare/"
FEATURES = {
    "intent": "buyer",
    "timeline": "1_3_months",
    "budget_max": 550000,
    "pre_approved": True,
    "area": "Fontana",
    "source": "Referral",
    "inbound_messages": 5,
    "avg_words": 9.5,
    "reply_rate": 0.8,
    "median_reply_minutes": 12,
    "first_response_seconds": 4.0,
}


@csrf_exempt
def bare(request):
    json.loads(request.body)  # read the body, as the API does
    return JsonResponse({"ok": True})


def timed(call, n: int) -> list[float]:
    for _ in range(min(50, n)):  # warm-up: imports, caches, connections
        call()
    seconds = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    n = args.requests

    call_command("migrate", verbosity=0)
    load_demo_outcomes()
    call_command("train_lead_model", stdout=open(os.devnull, "w"))  # noqa: SIM115
    contact_id = Contact.objects.order_by("pk").values_list("pk", flat=True).first()

    urls = types.ModuleType("bench_urls")
    urls.urlpatterns = [path(BARE_PATH.strip("/") + "/", bare), path("", include("config.urls"))]
    sys.modules["bench_urls"] = urls
    settings.ROOT_URLCONF = "bench_urls"

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    client = Client()
    client.force_login(user)

    def post(url: str, payload: dict):
        response = client.post(url, json.dumps(payload), content_type="application/json")
        assert response.status_code == 200, response.content
        return response

    assert post("/api/v1/ml/score", {"features": FEATURES}).json()["scorer"] == "learned"
    features = LeadFeatures(**FEATURES)
    rows = [
        summary("in process: predict_with_features", timed(lambda: predict_with_features(features=features), n)),
        summary("in process: score_contact (reads messages)", timed(lambda: score_contact(contact_id=contact_id), n)),
        summary("API: bare Django view (JSON POST)", timed(lambda: post(BARE_PATH, {"features": FEATURES}), n)),
        summary("API: POST /api/v1/ml/score features", timed(lambda: post("/api/v1/ml/score", {"features": FEATURES}), n)),
        summary("API: POST /api/v1/ml/score contact_id", timed(lambda: post("/api/v1/ml/score", {"contact_id": contact_id}), n)),
    ]  # fmt: skip
    print(
        f"machine: {platform.node()} · {platform.platform()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()}"
    )
    print(f"database: {django.db.connection.vendor} · requests per measure: {n}")
    print(f"{'measure':46} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for row in rows:
        print(
            f"{row['name']:46} {row['n']:>5} {row['p50']:>8.3f} {row['p95']:>8.3f} "
            f"{row['mean']:>8.3f}"
        )
    bare_row, api_row = rows[2], rows[3]
    print(
        f"API over bare view: p50 +{api_row['p50'] - bare_row['p50']:.2f} ms, "
        f"p95 +{api_row['p95'] - bare_row['p95']:.2f} ms"
    )


if __name__ == "__main__":
    main()
