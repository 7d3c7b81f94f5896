"""Plotly figures (plain dicts, drawn by plotly.min.js in the page) from the selectors' data.

Presentation only: the numbers come from ``analytics.selectors``. Every figure shares one
look: no toolbar, the page's font, room for the labels, and readable on a phone.
"""

from .selectors import LeadCharts

ACCENT = "#0b6e4f"
TEMPERATURE_COLOURS = {"Hot": "#c2410c", "Warm": "#b7791f", "Cold": "#2b6cb0"}
LANGUAGE_COLOURS = ["#0b6e4f", "#7c3aed", "#64748b"]


def _layout(**extra) -> dict:
    return {
        "margin": {"l": 40, "r": 12, "t": 8, "b": 40},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "yaxis": {"gridcolor": "#e5e7eb", "rangemode": "tozero", "fixedrange": True},
        "xaxis": {"fixedrange": True},
        "showlegend": False,
        **extra,
    }


def _bars(rows: list[tuple[str, int]], colours: list[str] | None = None, name: str = "") -> dict:
    return {
        "type": "bar",
        "name": name,
        "x": [label for label, _ in rows],
        "y": [count for _, count in rows],
        "marker": {"color": colours or ACCENT},
        "hovertemplate": "%{x}: %{y} leads<extra></extra>",
    }


def lead_figures(charts: LeadCharts) -> dict:
    """The overview's four figures, and their numbers in words for screen readers."""
    temperature = charts.by_temperature
    return {
        "summaries": {
            "temperature": temperature,
            "source": charts.by_source,
            "language": charts.by_language,
            "per_day_total": sum(count for _, count in charts.per_day),
        },
        "temperature": {
            "data": [
                _bars(
                    temperature,
                    [TEMPERATURE_COLOURS.get(label, ACCENT) for label, _ in temperature],
                )
            ],
            "layout": _layout(),
        },
        "source": {
            "data": [
                {
                    **_bars(list(reversed(charts.by_source))),
                    "orientation": "h",
                    "x": [count for _, count in reversed(charts.by_source)],
                    "y": [label for label, _ in reversed(charts.by_source)],
                    "hovertemplate": "%{y}: %{x} leads<extra></extra>",
                }
            ],
            "layout": _layout(
                margin={"l": 110, "r": 12, "t": 8, "b": 30},
                xaxis={"gridcolor": "#e5e7eb", "fixedrange": True},
                yaxis={"fixedrange": True, "automargin": True},
            ),
        },
        "language": {
            "data": [
                {
                    "type": "pie",
                    "hole": 0.55,
                    "labels": [label for label, _ in charts.by_language],
                    "values": [count for _, count in charts.by_language],
                    "marker": {"colors": LANGUAGE_COLOURS},
                    "textinfo": "label+percent",
                    "hovertemplate": "%{label}: %{value} leads<extra></extra>",
                    "sort": False,
                }
            ],
            "layout": _layout(margin={"l": 10, "r": 10, "t": 8, "b": 8}),
        },
        "per_day": {
            "data": [
                {
                    "type": "bar",
                    "x": [day.isoformat() for day, _ in charts.per_day],
                    "y": [count for _, count in charts.per_day],
                    "marker": {"color": ACCENT},
                    "hovertemplate": "%{x|%b %-d}: %{y} new leads<extra></extra>",
                }
            ],
            "layout": _layout(xaxis={"type": "date", "tickformat": "%b %-d", "fixedrange": True}),
        },
    }
