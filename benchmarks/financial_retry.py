"""Financial readiness benchmark: what the retry wrapper adds when the first call succeeds.

    python benchmarks/financial_retry.py [--calls 3000]

Both sides call the same fake provider (an ``httpx.MockTransport`` answering 200 with a
verdict) through the same ``HttpFinancialProvider`` client in the same run, alternating call
by call so both see the same machine:

* bare: one attempt (``_attempt``: the POST and reading the answer), no tenacity;
* with retries: ``assess``, the same attempt inside tenacity's ``Retrying`` (3 tries, backoff
  0.5 s to 10 s with jitter, Retry-After), as the service calls it.

The target: the wrapper adds under 50 ms to a call that succeeds first time. No network, no
database.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _timing import summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402

from buyers.services.financial import FinancialFacts, HttpFinancialProvider  # noqa: E402

TARGET_MS = 50.0
VERDICT = {
    "pre_approved": True,
    "requires_review": False,
    "confidence": 0.9,
    "max_purchase_price": 500_000,
    "reasons": ["pre-approval letter on file"],
}
FACTS = FinancialFacts(
    reference="contact-1",
    language="en",
    budget_max=450_000,
    preapproval_status="pre_approved",
    preapproval_lender="Chase",
    preapproval_amount=500_000,
    down_payment_percent="20.00",
    timeline="1_3_months",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls on each side")
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()

    requests = 0

    def provider_answers(request: httpx.Request) -> httpx.Response:
        nonlocal requests
        requests += 1
        return httpx.Response(200, json=VERDICT)

    def no_sleep(seconds: float) -> None:
        raise AssertionError("a first call that succeeds must never wait")

    client = HttpFinancialProvider(
        url="https://assess.example.test/v1/readiness",
        token="bench",  # noqa: S106 - the fake provider's
        transport=httpx.MockTransport(provider_answers),
        sleep=no_sleep,
    )
    bare, wrapped = [], []
    with client:
        for _ in range(args.warmup):
            client._attempt(FACTS)
            client.assess(FACTS)
        for _ in range(args.calls):
            started = time.perf_counter()
            client._attempt(FACTS)
            bare.append(time.perf_counter() - started)
            started = time.perf_counter()
            result, attempts = client.assess(FACTS)
            wrapped.append(time.perf_counter() - started)
            assert result.pre_approved and attempts == 1
    assert requests == 2 * (args.calls + args.warmup)

    rows = [summary("bare call (one attempt)", bare), summary("with the retry wrapper", wrapped)]
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.platform()} "
        f"({os.cpu_count()} cores) · Python {platform.python_version()} · "
        f"{args.calls} calls each, alternating"
    )
    print(f"{'':26} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'mean ms':>9}")
    for row in rows:
        print(
            f"{row['name']:26} {row['n']:>6} {row['p50']:9.3f} {row['p95']:9.3f} {row['mean']:9.3f}"
        )
    added_p50 = rows[1]["p50"] - rows[0]["p50"]
    added_p95 = rows[1]["p95"] - rows[0]["p95"]
    added_mean = statistics.fmean(w - b for w, b in zip(wrapped, bare, strict=True)) * 1000
    verdict = "met" if max(added_p50, added_p95, added_mean) < TARGET_MS else "NOT met"
    print(
        f"added by the wrapper: p50 {added_p50:.3f} ms, p95 {added_p95:.3f} ms, "
        f"mean {added_mean:.3f} ms (target under {TARGET_MS:.0f} ms: {verdict})"
    )


if __name__ == "__main__":
    main()
