"""Percentiles, a summary row, the leads' texts and their time zone, shared by the benchmarks."""

import statistics
from datetime import UTC, datetime


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile ``pct`` (0–100) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def summary(name: str, seconds: list[float]) -> dict:
    """n, p50, p95 and mean, in milliseconds, of timings given in seconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "name": name,
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "mean": statistics.fmean(ms),
    }


# What new leads text in the benchmarks (English and Spanish, buyers and sellers).
LEAD_TEXTS = [
    "Hi, I want to buy a 3 bedroom home in Fontana, budget around 550k",
    "Hola, quiero vender mi casa en Riverside en unos 3 meses",
    "Looking to sell my condo and buy something bigger, maybe next year",
    "Pre-approved for 700k, need to move asap to Corona",
    "Busco casa en Ontario, preaprobado por 480 mil",
]


def lead_timezone(choice: str) -> str:
    """The zone for leads with no phone: ``auto`` picks one where it is early afternoon now.

    Message webhooks carry no phone, so the sending rules put new leads in DEFAULT_TIMEZONE;
    outside 08:00-21:00 there every reply would be deferred to the morning and nothing
    measured. A fixed-offset zone where it is about 13:00 keeps the window open for hours.
    """
    if choice != "auto":
        return choice
    offset = (13 - datetime.now(UTC).hour) % 24
    if offset > 12:
        offset -= 24
    return f"Etc/GMT{-offset:+d}"  # POSIX sign: Etc/GMT-5 is UTC+5
