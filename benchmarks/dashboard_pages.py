"""Server time of every dashboard page and admin list, on the demo and at 10k contacts / 100k
messages, against a bare Django view in the same run.

    python benchmarks/dashboard_pages.py [--database sqlite|DATABASE_URL] [--repeat 15]
        [--contacts 10000] [--messages 100000]

On a fresh database (a throw-away SQLite file, or on PostgreSQL a new ``test_<name>`` database
dropped at the end) it loads the demo (``seed_demo``), copies it, and grows the copy with
``seed_demo --contacts N --messages M``. Then it times every URL on both, in alternation
(demo, scale, scale, demo, …, each side with its own open connection, login and cache
namespace), so that a noisy moment of a shared machine falls on both sides alike and the
ratio scale/demo stays fair; the bare view is timed the same way. Every page and htmx partial
of the ``dashboard`` namespace is measured (its URL patterns are enumerated, so a page added
later is measured too; a parameterised one gets a real id; a POST-only action is listed as
skipped), with representative sorts, filters, pages and searches, and the admin's lists and
searches of the big models. Pages read through the cache tiers are timed twice: as they come
(hits, after the warm-up request) and "(uncached)", every tier invalidated before each request
(a miss, what a user meets after an event). Times are in-process (Django's test client, logged in as the demo
user): the server's time without the network. The baseline is ``/healthz``, a bare view.

For each URL it prints p50/p95 on the demo and at scale, the ratio scale/demo (of p50), the
ratio to the bare view at scale, the queries one request makes at scale, and the table rows
the page renders on the demo and at scale; it flags a p95 over 100 ms or a ratio scale/demo
over 1.5, and says when the page renders more rows at scale than on the demo (a list the demo
does not fill: its ratio measures page size as well as data size).
"""

import argparse
import gc
import io
import os
import platform
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from _timing import summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 100.0
TARGET_RATIO = 1.5


def _configure_environment() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite (a throw-away file) or a DATABASE_URL, e.g. postgres://postgres@127.0.0.1/jorge",
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per URL")
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--only", default="", help="time only URLs containing this text")
    args = parser.parse_args()
    if args.database == "sqlite":
        args.database = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.pop("REDIS_URL", None)  # in-process tasks and caches: the server's own time
    os.environ["CHANNEL_LAYER_SQLITE_PATH"] = f"{tempfile.mkdtemp()}/channels.sqlite3"
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp()
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    return args


ARGS = _configure_environment()

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import DEFAULT_DB_ALIAS, connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import URLPattern, get_resolver, reverse  # noqa: E402

from analytics.cache import invalidate_everything  # noqa: E402
from analytics.demo import DEMO_USERNAME  # noqa: E402
from config.performance import tracker  # noqa: E402
from leads.models import Contact, Conversation, Message  # noqa: E402
from sellers.models import CMAReport  # noqa: E402

HTMX = {"HTTP_HX_REQUEST": "true"}
# Pages read through the cache tiers: timed as they are (hits, after the warm-up) and uncached.
UNCACHED = ("overview-kpis", "overview-charts", "commission", "leads", "performance-cache")
UNCACHED_HEADERS = {"uncached": True}

# Representative states of the pages that take them (every filter, each sort, deep pages).
DASHBOARD_VARIANTS = {
    "conversations": [
        "",
        "?sort=-activity&page=40",
        "?sort=name",
        "?sort=-name&page=100",
        "?sort=-score",
        "?sort=started",
        "?temperature=hot",
        "?stage=nurture&bot=buyer",
        "?language=es&sort=-score",
        "?review=yes",
        "?status=all&per_page=100",
        "?status=closed",
        "?page=99999",
        "?q=mar",
        "?q=garcia+jos",
        "?q={phone}",
    ],
    "leads": [
        "",
        "?budget=500k-600k",
        "?timeline=3_6_months&temperature=hot",
        "?stage=qualified",
        "?language=es&source=Zillow",
        "?intent=seller&page=3",
        "?created_from={month_ago}",
        "?budget=none&timeline=unknown",
    ],
}
# The admin lists of the big tables: the list, a filter, a deep page, and searches.
ADMIN_VARIANTS = {
    "leads.message": [
        "",
        "?p=15",
        "?direction__exact=inbound",
        "?status__exact=failed",
        "?q=pool",
        "?q=Riverside+pre-approved",
        "?q=jacuzzi",
        "?q=no",
        "?q={ghl_message_id}",
        "?q={phone}",
    ],
    "leads.contact": [
        "",
        "?p=3",
        "?temperature__exact=hot",
        "?q=garc",
        "?q=maria",
        "?q={phone}",
        "?q={email}",
        "?o=3",
    ],
    "leads.conversation": [
        "",
        "?p=3",
        "?status__exact=active&stage__exact=nurture",
        "?q=lopez",
        "?q={phone}",
        "?o=6",
    ],
    "leads.deal": ["", "?q=smith", "?stage__exact=closed_won"],
    "leads.escalationticket": ["", "?q=garcia"],
    "compliance.complianceticket": ["", "?q=ssn"],
    "compliance.auditevent": ["", "?p=2"],
    "buyers.buyerprofile": ["", "?q=martinez", "?p=2"],
}


def dashboard_urls(ids: dict) -> list[tuple[str, str, dict]]:
    """(label, URL, headers) of every page and partial in the ``dashboard`` namespace."""
    _, resolver = get_resolver().namespace_dict["dashboard"]
    urls = []
    for pattern in resolver.url_patterns:
        if not isinstance(pattern, URLPattern) or not pattern.name:
            continue
        params = {name: ids[name] for name in pattern.pattern.regex.groupindex if name in ids}
        if len(params) != len(pattern.pattern.regex.groupindex):
            print(
                f"  (skipped {pattern.name}: no id for {sorted(pattern.pattern.regex.groupindex)})"
            )
            continue
        base = reverse(f"dashboard:{pattern.name}", kwargs=params)
        for variant in DASHBOARD_VARIANTS.get(pattern.name, [""]):
            query = variant.format(**ids)
            urls.append((f"dashboard:{pattern.name}{query}", base + query, {}))
            if pattern.name == "conversations" and query in ("", "?sort=name"):
                urls.append((f"dashboard:{pattern.name}{query} (htmx)", base + query, HTMX))
            if pattern.name in UNCACHED and not query:
                # What a user meets after an event: the tier invalidated before each request.
                urls.append((f"dashboard:{pattern.name} (uncached)", base, UNCACHED_HEADERS))
    # The busiest conversation's page as well as a typical one's.
    if "busiest_conversation_id" in ids:
        urls.append(
            (
                "dashboard:conversations-detail (busiest)",
                reverse("dashboard:conversations-detail", args=[ids["busiest_conversation_id"]]),
                {},
            )
        )
    return urls


def admin_urls(ids: dict) -> list[tuple[str, str, dict]]:
    """Every admin list (plain), and the variants above for the big models."""
    urls = [("admin:index", reverse("admin:index"), {})]
    for model in admin.site._registry:
        label = model._meta.label_lower
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for variant in ADMIN_VARIANTS.get(label, [""]):
            query = variant.format(**ids)
            urls.append((f"{label}{query}", reverse(name) + query, {}))
    return urls


def representative_ids() -> dict:
    contact = Contact.objects.filter(ghl_contact_id__startswith="demo-contact-").order_by("id")[20]
    conversation = contact.conversations.first()
    busiest = (
        Message.objects.values("conversation")
        .order_by("conversation")
        .annotate(n=django.db.models.Count("id"))
        .order_by("-n")
        .first()
    )
    message = Message.objects.exclude(ghl_message_id="").order_by("id").first()
    report = CMAReport.objects.order_by("id").first()
    ids = {
        "conversation_id": conversation.pk,
        "busiest_conversation_id": busiest["conversation"],
        "phone": contact.phone.replace("+", "%2B"),
        "email": contact.email,
        "ghl_message_id": message.ghl_message_id if message else "none",
        "month_ago": (django.utils.timezone.now().date().replace(day=1)).isoformat(),
    }
    if report:
        ids["report_id"] = report.pk
    return ids


def rows_rendered(content: bytes) -> int:
    """Table rows in the page's table bodies: what a list renders, to read a ratio against."""
    bodies = re.findall(rb"<tbody.*?</tbody>", content, flags=re.S)
    return sum(len(re.findall(rb"<tr[\s>]", body)) for body in bodies)


class _QueryCounter(list):
    """An execute wrapper that counts the queries a request makes."""

    def __call__(self, execute, sql, params, many, context):
        self.append(sql)
        return execute(sql, params, many, context)


class Side:
    """One of the two databases timed side by side (the demo, and a copy grown to scale):
    its own open connection, a client logged in on it, and its own cache namespace."""

    def __init__(self, name: str, database: str):
        self.name = name
        current = connections[DEFAULT_DB_ALIAS]
        settings_dict = dict(current.settings_dict, NAME=database)
        self.connection = type(current)(settings_dict, alias=DEFAULT_DB_ALIAS)
        self.client = Client()
        self.urls: dict[str, tuple[str, dict]] = {}

    def use(self) -> None:
        """Make this side the database and the cache namespace of everything that follows."""
        connections[DEFAULT_DB_ALIAS] = self.connection
        caches["default"].key_prefix = self.name

    def prepare(self) -> None:
        self.use()
        self.client.force_login(get_user_model().objects.get(username=DEMO_USERNAME))
        ids = representative_ids()
        self.urls = {label: (url, headers) for label, url, headers in all_urls(ids)}


def all_urls(ids: dict) -> list[tuple[str, str, dict]]:
    return dashboard_urls(ids) + admin_urls(ids)


def _request(side: Side, url: str, headers: dict, *, uncached: bool) -> tuple[float, object]:
    side.use()
    if uncached:
        invalidate_everything()
    started = time.perf_counter()
    response = side.client.get(url, **headers)
    return time.perf_counter() - started, response


def measure(sides: tuple[Side, Side], repeat: int) -> tuple[dict, dict]:
    """Each URL timed on both sides in alternation (demo, scale, scale, demo, …), so a noisy
    moment of the machine falls on both alike and the ratio stays fair."""
    results: tuple[dict, dict] = ({}, {})
    for label in sides[0].urls:
        if (ARGS.only and ARGS.only not in label) or label not in sides[1].urls:
            continue
        timings: tuple[list, list] = ([], [])
        skip = False
        for index, side in enumerate(sides):
            url, headers = side.urls[label]
            headers = dict(headers)
            uncached = headers.pop("uncached", False)
            cold, response = _request(side, url, headers, uncached=uncached)  # the warm-up
            if response.status_code == 405:
                results[index][label] = {"skipped": "POST only"}
                skip = True
                continue
            if response.status_code != 200:
                location = response.get("Location", "")
                results[index][label] = {"error": f"HTTP {response.status_code} {location}"}
                skip = True
                continue
            queries = _QueryCounter()
            side.use()  # before the wrapper: it goes on this side's connection
            with connection.execute_wrapper(queries):
                _, response = _request(side, url, headers, uncached=uncached)
            results[index][label] = {
                "cold": cold * 1000,
                "queries": len(queries),
                "rows": rows_rendered(response.content),
            }
        if skip:
            continue
        for round_ in range(repeat):
            for index in (0, 1) if round_ % 2 == 0 else (1, 0):
                url, headers = sides[index].urls[label]
                headers = dict(headers)
                uncached = headers.pop("uncached", False)
                seconds, _ = _request(sides[index], url, headers, uncached=uncached)
                timings[index].append(seconds)
        for index in (0, 1):
            results[index][label] = {**summary(label, timings[index]), **results[index][label]}
    return results


def time_bare_view(sides: tuple[Side, Side], repeat: int) -> tuple[dict, dict]:
    """The baseline, ``/healthz``, alternating between the sides like the pages."""
    timings: tuple[list, list] = ([], [])
    for side in sides:
        for _ in range(20):
            _request(side, "/healthz", {}, uncached=False)
    for round_ in range(max(repeat * 4, 60)):
        for index in (0, 1) if round_ % 2 == 0 else (1, 0):
            seconds, _ = _request(sides[index], "/healthz", {}, uncached=False)
            timings[index].append(seconds)
    return tuple(summary("bare Django view (/healthz)", t) for t in timings)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def report(bare_demo, demo, bare_scale, scale) -> int:
    print(
        f"\n{'URL':58} {'demo p50':>8} {'p95':>6} {'scale p50':>9} {'p95':>6} "
        f"{'×demo':>6} {'×bare':>6} {'queries':>7} {'rows':>9}"
    )
    print(
        f"{'bare Django view (/healthz)':58} {bare_demo['p50']:>8.1f} {bare_demo['p95']:>6.1f} "
        f"{bare_scale['p50']:>9.1f} {bare_scale['p95']:>6.1f}"
    )
    flagged = 0
    for label, row in scale.items():
        before = demo.get(label, {})
        if "p50" not in row or "p50" not in before:
            note = row.get("skipped") or row.get("error") or before.get("error", "")
            print(f"{label[:58]:58} {note}")
            flagged += "error" in row
            continue
        ratio = row["p50"] / before["p50"]
        flags = []
        if row["p95"] > TARGET_P95_MS:
            flags.append("p95>100ms")
        if ratio > TARGET_RATIO:
            flags.append("ratio>1.5")
            if row["rows"] > before["rows"] * TARGET_RATIO:
                # Not hidden: flagged, with the reason a reader should weigh.
                flags.append("(more rows rendered at scale)")
        flagged += bool(flags)
        print(
            f"{label[:58]:58} {before['p50']:>8.1f} {before['p95']:>6.1f} {row['p50']:>9.1f} "
            f"{row['p95']:>6.1f} {ratio:>6.2f} {row['p50'] / bare_scale['p50']:>6.1f} "
            f"{row['queries']:>7} {str(before['rows']) + '→' + str(row['rows']):>9} "
            f"{' '.join(flags)}"
        )
    return flagged


def settle_database() -> None:
    """After a load, before the timing: on PostgreSQL, what autovacuum would do after a bulk
    load (it would otherwise run, and take one of the cores, while the pages are timed); and
    the objects the load left in this process frozen out of the garbage collector's passes, so
    the pages are not timed against a heap a web process would not have (the bare view showed
    it: up to twice as slow after the bulk load without this)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    gc.collect()
    gc.freeze()


def copy_database(source: str, target: str) -> None:
    """A copy of the demo's database, to grow to scale beside it."""
    connection.close()
    if connection.vendor == "sqlite":
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def drop_database(name: str) -> None:
    if connection.vendor == "postgresql":
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def main() -> None:
    vendor = connection.vendor
    created_test_db, original_name = None, connection.settings_dict["NAME"]
    if vendor == "sqlite":
        call_command("migrate", verbosity=0)
    else:
        # A fresh database next to the one named (test_<name>), dropped at the end.
        created_test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    demo_name = connection.settings_dict["NAME"]
    scale_name = (
        str(Path(demo_name).with_name("scale.sqlite3"))
        if vendor == "sqlite"
        else demo_name + "_scale"
    )
    demo = scale = None
    try:
        call_command("seed_demo", allow_production=True, verbosity=0, stdout=io.StringIO())
        settle_database()
        sizes = f"{Contact.objects.count()} contacts, {Message.objects.count()} messages"

        copy_database(demo_name, scale_name)
        demo, scale = Side("demo", demo_name), Side("scale", scale_name)
        scale.use()
        started = time.monotonic()
        call_command(
            "seed_demo",
            allow_production=True,
            contacts=ARGS.contacts,
            messages=ARGS.messages,
            stdout=io.StringIO(),
        )
        seeded = time.monotonic() - started
        settle_database()
        sizes_scale = (
            f"{Contact.objects.count()} contacts, {Conversation.objects.count()} conversations, "
            f"{Message.objects.count()} messages"
        )
        print(f"Demo: {sizes}. Scale: {sizes_scale} (seeded in {seeded:.0f} s).")
        print(f"Timing {ARGS.repeat} requests per URL on each, in alternation …")
        demo.prepare()
        scale.prepare()
        bare_demo, bare_scale = time_bare_view((demo, scale), ARGS.repeat)
        results_demo, results_scale = measure((demo, scale), ARGS.repeat)

        print(
            f"\nmachine: {os.cpu_count()} cores · {cpu_model()} · {platform.platform()} · "
            f"Python {platform.python_version()} · Django {django.get_version()}"
        )
        print(
            f"database: {vendor} {connection.Database.sqlite_version if vendor == 'sqlite' else connection.pg_version} "
            f"· demo: {sizes} · scale: {sizes_scale} · {ARGS.repeat} requests per URL, "
            "demo and scale in alternation"
        )
        flagged = report(bare_demo, results_demo, bare_scale, results_scale)
        print(
            f"\n{flagged} URL(s) flagged (p95 over {TARGET_P95_MS:.0f} ms, or scale/demo p50 "
            f"over {TARGET_RATIO}×, or an error)."
        )
    finally:
        tracker.reset()  # the timed requests' samples: not flushed at exit into a dropped database
        for side in (demo, scale):
            if side is not None:
                side.connection.close()
        if demo is not None:
            demo.use()
        connection.close()
        drop_database(scale_name)
        if created_test_db:
            connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    main()
