"""Plotly figures of the dashboard's pages, as the dicts dashboard.js draws (json_script).

Presentation only: the numbers come from selectors and rules; this picks colours and labels.
"""

from analytics.rules import MonthForecast

ACCENT = "#0b6e4f"
ACCENT_LIGHT = "#8fd0b5"
MUTED = "#b8c2cf"
INK = "#1d2433"
FONT = {
    "family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
    "size": 12,
    "color": INK,
}


def _layout(**extra) -> dict:
    return {
        "margin": {"l": 48, "r": 8, "t": 8, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": FONT,
        "yaxis": {"gridcolor": "#e8ebf0", "zeroline": False, "rangemode": "tozero"},
        "xaxis": {"fixedrange": True, "automargin": True},
        "bargap": 0.25,
        **extra,
    }


def forecast_figure(forecast: list[MonthForecast], *, this_month: MonthForecast) -> dict:
    """Jorge's commission by month: closed (solid) under the weighted open deals (light)."""
    labels = [
        "This month" if line.month == this_month.month else line.month.strftime("%b %Y")
        for line in forecast
    ]
    money = {"hovertemplate": "%{x}<br>%{fullData.name}: $%{y:,.0f}<extra></extra>"}
    return {
        "data": [
            {
                "type": "bar",
                "name": "Closed",
                "x": labels,
                "y": [float(line.closed) for line in forecast],
                "marker": {"color": ACCENT},
                **money,
            },
            {
                "type": "bar",
                "name": "Expected (weighted)",
                "x": labels,
                "y": [float(line.weighted) for line in forecast],
                "marker": {"color": ACCENT_LIGHT},
                **money,
            },
        ],
        "layout": _layout(
            barmode="stack",
            legend={"orientation": "h", "x": 0, "y": 1.12, "traceorder": "normal"},
            margin={"l": 56, "r": 8, "t": 28, "b": 40},
            yaxis={
                "gridcolor": "#e8ebf0",
                "zeroline": False,
                "tickprefix": "$",
                "tickformat": "~s",
                "fixedrange": True,
            },
        ),
    }


def distribution_figure(bars, *, selected: str, labels: dict[str, str]) -> dict:
    """Leads per bar; the selected bar in the accent colour. customdata carries each bar's
    filter value, which the page's script turns into a click on that filter's link."""
    colours = [ACCENT if not selected or bar.key == selected else MUTED for bar in bars]
    return {
        "data": [
            {
                "type": "bar",
                "x": [labels.get(bar.key, bar.label) for bar in bars],
                "y": [bar.count for bar in bars],
                "customdata": [bar.key for bar in bars],
                "marker": {"color": colours},
                "hovertemplate": "%{x}: %{y} leads<extra>Click to filter</extra>",
            }
        ],
        "layout": _layout(
            yaxis={
                "gridcolor": "#e8ebf0",
                "zeroline": False,
                "fixedrange": True,
                "rangemode": "tozero",
            },
            hovermode="closest",
        ),
    }
