"""Money and percentages as people read them: $1,234,567 and 6% (not 1234567.00 and 0.0600)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def money(value) -> str:
    """Whole dollars with thousands separators: 1234567.4 → "$1,234,567"; None → "—"."""
    if value is None or value == "":
        return "—"
    try:
        dollars = Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    sign = "−" if dollars < 0 else ""
    return f"{sign}${abs(dollars):,.0f}"


@register.filter
def percent(value, places=1) -> str:
    """A fraction as a percentage, trailing zeros dropped: 0.06 → "6%", 0.025 → "2.5%"."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(value) * 100
        text = f"{number.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP):f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"
