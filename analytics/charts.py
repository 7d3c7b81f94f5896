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


# --- Performance ----------------------------------------------------------------------------

P50_COLOUR = "#0b6e4f"
P95_COLOUR = "#c2410c"
TOKEN_COLOURS = {"Input": "#2b6cb0", "Output": "#0b6e4f", "Cache read": "#8fd0b5"}
OUTCOME_COLOURS = {
    "accepted": "#0b6e4f",
    "duplicate": "#64748b",
    "not_handled": "#b8c2cf",
    "other_location": "#94a3b8",
    "unprocessable": "#be185d",
    "rejected": "#c2410c",
    "rate_limited": "#7f1d1d",
    "invalid": "#b7791f",
    "unavailable": "#7c3aed",
}


def latency_figure(group) -> dict:
    """p50 and p95 of one latency group, hour by hour (gaps where nothing was timed)."""
    hours = [hour.isoformat() for hour in group.hours]

    def line(name, values, colour):
        return {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": hours,
            "y": [None if v is None else round(v, 2) for v in values],
            "line": {"color": colour, "width": 2},
            "marker": {"size": 4},
            "connectgaps": False,
            "hovertemplate": "%{x|%H:00}: %{y:.1f} ms<extra>" + name + "</extra>",
        }

    return {
        "data": [line("p50", group.p50, P50_COLOUR), line("p95", group.p95, P95_COLOUR)],
        "layout": _layout(
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.15},
            margin={"l": 48, "r": 12, "t": 24, "b": 36},
            xaxis={"type": "date", "tickformat": "%H:00", "fixedrange": True},
            yaxis={
                "gridcolor": "#e5e7eb",
                "type": "log",
                "dtick": 1,  # one tick a decade: 0.1, 1, 10, 100 ms
                "title": {"text": "ms"},
                "fixedrange": True,
            },
        ),
    }


def ai_usage_figure(usage) -> dict:
    """Tokens per day (stacked by kind) and the day's cost in dollars on the right axis."""
    days = [day.isoformat() for day in usage.days]
    bars = [
        {
            "type": "bar",
            "name": name,
            "x": days,
            "y": values,
            "marker": {"color": TOKEN_COLOURS[name]},
            "hovertemplate": "%{x|%b %-d}: %{y:,} " + name.lower() + " tokens<extra></extra>",
        }
        for name, values in (
            ("Input", usage.input_tokens),
            ("Output", usage.output_tokens),
            ("Cache read", usage.cache_read_tokens),
        )
    ]
    cost = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": "Cost (USD)",
        "x": days,
        "y": [round(v, 4) for v in usage.cost_usd],
        "yaxis": "y2",
        "line": {"color": "#1d2433"},
        "hovertemplate": "%{x|%b %-d}: $%{y:.4f}<extra></extra>",
    }
    return {
        "data": [*bars, cost],
        "layout": _layout(
            barmode="stack",
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.15},
            margin={"l": 48, "r": 64, "t": 24, "b": 36},
            xaxis={"type": "date", "tickformat": "%b %-d", "fixedrange": True},
            yaxis={"gridcolor": "#e5e7eb", "rangemode": "tozero", "fixedrange": True},
            yaxis2={
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "tickprefix": "$",
                "fixedrange": True,
                "showgrid": False,
            },
        ),
    }


def reply_time_figure(times) -> dict:
    """How many bot replies took how long."""
    return {
        "data": [
            {
                **_bars(times.bars),
                "hovertemplate": "%{x}: %{y} replies<extra></extra>",
            }
        ],
        "layout": _layout(),
    }


def webhook_figure(outcomes) -> dict:
    """Webhook deliveries per day, stacked by what the endpoint did with them."""
    days = [day.isoformat() for day in outcomes.days]
    return {
        "data": [
            {
                "type": "bar",
                "name": series.label,
                "x": days,
                "y": series.per_day,
                "marker": {"color": OUTCOME_COLOURS.get(series.key, "#64748b")},
                "hovertemplate": "%{x|%b %-d}: %{y}<extra>" + series.label + "</extra>",
            }
            for series in outcomes.per_outcome
        ],
        "layout": _layout(
            barmode="stack",
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.2},
            margin={"l": 40, "r": 12, "t": 36, "b": 36},
            xaxis={"type": "date", "tickformat": "%b %-d", "fixedrange": True},
        ),
    }
