"""System checks of the leads app: settings that would otherwise fail on a lead's message."""

from django.core.checks import Error, Warning, register

# The embedded default's location (config/settings/base.py), never a real one.
DEMO_LOCATION = "demo-location"


@register()
def booking_settings_check(app_configs, **kwargs):
    """The booking settings (working hours, days, zone, slot length) must be readable."""
    from leads.services.booking import booking_settings_problems

    return [Error(problem, id="leads.E001") for problem in booking_settings_problems()]


@register(deploy=True)
def highlevel_location_check(app_configs, **kwargs):
    """A deployment must name its HighLevel location: with the embedded default's
    ``demo-location``, every authentic event from HighLevel is kept as another location's and
    never applied, so no lead is answered (and nothing fails loudly)."""
    from django.conf import settings

    if settings.GHL_WEBHOOK_LOCATION_IDS or settings.GHL_LOCATION_ID not in ("", DEMO_LOCATION):
        return []
    return [
        Warning(
            f"GHL_LOCATION_ID is {settings.GHL_LOCATION_ID or 'empty'!r}: HighLevel's webhooks "
            "will all be ignored as another location's.",
            hint="Set GHL_LOCATION_ID (HighLevel: Settings → Business Profile → Location ID).",
            id="leads.W001",
        )
    ]
