"""The compliance check on the labelled table: precision and recall per type, and its speed.

    python benchmarks/compliance_check.py [--repeat N]

Reads tests/compliance/data/labelled_messages.csv (the table the tests hold at >= 0.95),
prints what it holds, the precision and recall of ``check_message`` per violation type
(over the whole table and per batch), every message it gets wrong, and how long one check
takes. Pure Python: no database, no network.
"""

import argparse
import platform
import sys
import time
from collections import Counter
from pathlib import Path

from _timing import summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compliance.checks import VIOLATION_TYPES, check_message  # noqa: E402
from compliance.evaluation import TABLE, load_table, mistakes, score_table  # noqa: E402


def print_scores(title: str, messages) -> None:
    print(f"\n{title} ({len(messages)} messages)")
    print(
        f"  {'type':<13} {'labelled':>8} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>7}"
    )
    for violation_type, score in score_table(messages).items():
        labelled = score.true_positives + score.false_negatives
        print(
            f"  {violation_type:<13} {labelled:>8} {score.true_positives:>4} "
            f"{score.false_positives:>4} {score.false_negatives:>4} "
            f"{score.precision:>10.3f} {score.recall:>7.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timing passes over the table")
    args = parser.parse_args()

    messages = load_table()
    print(f"Compliance check on {TABLE.relative_to(ROOT)} · Python {platform.python_version()}")

    print("\nThe table: messages per direction and language, with a violation / clean")
    cells = Counter(
        (m.direction, m.language, "violation" if m.expected else "clean") for m in messages
    )
    for direction in ("inbound", "outbound"):
        for language in ("en", "es"):
            print(
                f"  {direction:<8} {language}: {cells[(direction, language, 'violation')]:>3} "
                f"with a violation, {cells[(direction, language, 'clean')]:>3} clean look-alikes"
            )
    per_type = Counter(t for m in messages for t in m.expected)
    print("  labelled per type: " + ", ".join(f"{t} {per_type[t]}" for t in VIOLATION_TYPES))

    print_scores("All messages", messages)
    for batch in ("dev", "holdout", "holdout2"):
        print_scores(f"Batch {batch!r}", [m for m in messages if m.batch == batch])

    wrong = mistakes(messages)
    print(f"\nMessages the check gets wrong: {len(wrong)}")
    for message, found in wrong:
        print(
            f"  #{message.id} {message.direction}: expected {sorted(message.expected)}, "
            f"found {sorted(found)}: {message.text}"
        )

    timings = []
    for _ in range(args.repeat):
        for message in messages:
            started = time.perf_counter()
            check_message(message.text, message.direction)
            timings.append(time.perf_counter() - started)
    row = summary("check_message", timings)
    print(
        f"\nOne check: n={row['n']}, p50 {row['p50']:.3f} ms, p95 {row['p95']:.3f} ms, "
        f"mean {row['mean']:.3f} ms"
    )


if __name__ == "__main__":
    main()
