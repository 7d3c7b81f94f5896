"""Percentiles and a summary row, shared by the benchmark scripts."""

import statistics


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
