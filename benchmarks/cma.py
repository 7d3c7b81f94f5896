"""CMA benchmark: computing the estimate and rendering the PDF, over the seeded demo homes.

    python benchmarks/cma.py [--limit N]

Runs on a throw-away SQLite file (set DATABASE_URL to use PostgreSQL) with the demo data
(160 Inland Empire homes). Every sold home is valued as if its owner asked for a CMA:

* computation: the comparables query and the valuation (sellers.cma);
* PDF: rendering the report with WeasyPrint (sellers.cma.pdf.render_cma_pdf);
* end to end: trigger_cma and the generation task, in-process (database, PDF, storage).

A one-line WeasyPrint page rendered right before each report is the baseline, so the ratio
stays fair on a noisy machine.
"""

import argparse
import logging
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _timing import summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.pop("REDIS_URL", None)  # the generation task runs in-process
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp()
os.environ["LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()
# WeasyPrint warns on every PDF that it subsets fonts with fontTools (no HarfBuzz-subset here).
logging.getLogger("weasyprint").setLevel(logging.ERROR)

import weasyprint  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from analytics.demo import load_demo_data  # noqa: E402
from leads.models import Contact  # noqa: E402
from sellers.cma.comparables import Subject, find_comparables  # noqa: E402
from sellers.cma.pdf import MAX_PDF_BYTES, render_cma_pdf  # noqa: E402
from sellers.cma.valuation import estimate  # noqa: E402
from sellers.models import CMAReport, Property, SellerQualification  # noqa: E402
from sellers.services.cma import trigger_cma  # noqa: E402

# Same font family as the report, so both pay for one font subset.
ONE_LINE = (
    "<!doctype html><html><body style='font-family: sans-serif'>"
    "<p>Hello from Jorge's real-estate team.</p></body></html>"
)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="value only the first N sold homes")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    load_demo_data(password=secrets.token_urlsafe(16))  # a throw-away login
    homes = list(Property.objects.filter(status=Property.Status.SOLD).order_by("mls_id"))
    if args.limit:
        homes = homes[: args.limit]
    contacts = list(Contact.objects.order_by("pk")[: len(homes)])
    today = timezone.localdate()

    for _ in range(3):  # warm-up: fonts, Pango, templates
        weasyprint.HTML(string=ONE_LINE).write_pdf()
    subject = Subject.from_property(homes[0])
    warm = estimate(subject=subject, search=find_comparables(subject=subject, as_of=today))
    render_cma_pdf(
        report=CMAReport(address=subject.address, city=subject.city, comparables=warm.rows)
    )

    baseline, compute, render, sizes, outcomes, errors = [], [], [], [], Counter(), []
    for home in homes:
        _, elapsed = timed(lambda: weasyprint.HTML(string=ONE_LINE).write_pdf())
        baseline.append(elapsed)

        subject = Subject.from_property(home)

        def value(subject=subject):
            search = find_comparables(subject=subject, as_of=today)
            return estimate(subject=subject, search=search)

        result, elapsed = timed(value)
        compute.append(elapsed)
        outcomes[(str(result.status), str(result.confidence))] += 1
        if result.mid:
            errors.append(abs(result.mid - home.sold_price) / home.sold_price)
        report = CMAReport(
            address=home.address,
            city=home.city,
            subject=subject.as_json(),
            comparables=result.rows,
            status=result.status,
            confidence=result.confidence,
            estimate_low=result.low,
            estimate_mid=result.mid,
            estimate_high=result.high,
            method=result.method,
        )
        content, elapsed = timed(lambda report=report: render_cma_pdf(report=report))
        render.append(elapsed)
        sizes.append(len(content))

    end_to_end = []
    for home, contact in zip(homes, contacts, strict=False):
        SellerQualification.objects.update_or_create(
            contact=contact, defaults={"address": home.address, "city": home.city}
        )

        def request(contact=contact):
            with transaction.atomic():  # the task runs on commit, in-process
                return trigger_cma(contact=contact, by="benchmark")

        report, elapsed = timed(request)
        end_to_end.append(elapsed)
        report.refresh_from_db()
        assert report.status in (CMAReport.Status.READY, CMAReport.Status.INSUFFICIENT), (
            report.error
        )

    rows = [
        summary("WeasyPrint one-line page (baseline)", baseline),
        summary("CMA computation (comparables + estimate)", compute),
        summary("CMA PDF rendering", render),
        summary("trigger_cma + generation task, end to end", end_to_end),
    ]
    print(
        f"machine: {platform.node()} · {platform.platform()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · WeasyPrint {weasyprint.__version__}"
    )
    print(
        f"database: {django.db.connection.vendor} · seeded homes: {Property.objects.count()} · "
        f"sold homes valued: {len(homes)}"
    )
    print(f"{'measure':46} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for row in rows:
        print(
            f"{row['name']:46} {row['n']:>5} {row['p50']:>8.2f} {row['p95']:>8.2f} {row['mean']:>8.2f}"
        )
    base = rows[0]
    for row in rows[1:]:
        print(
            f"{row['name']}: ratio to baseline p50 {row['p50'] / base['p50']:.2f}x · "
            f"p95 {row['p95'] / base['p95']:.2f}x"
        )
    print(
        f"PDF size: max {max(sizes) / 1024:.1f} KiB · median {statistics.median(sizes) / 1024:.1f} KiB "
        f"(limit {MAX_PDF_BYTES // 1024} KiB)"
    )
    print("outcomes: " + ", ".join(f"{s}/{c}: {n}" for (s, c), n in sorted(outcomes.items())))
    if errors:
        within = sum(e <= 0.10 for e in errors)
        print(
            f"estimate vs the home's own sale price: median error {statistics.median(errors):.1%}, "
            f"within 10%: {within}/{len(errors)}"
        )
    if max(sizes) >= MAX_PDF_BYTES:
        sys.exit("a PDF broke the 2 MB limit")


if __name__ == "__main__":
    main()
