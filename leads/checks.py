"""System checks of the leads app: settings that would otherwise fail on a lead's message."""

from django.core.checks import Error, register


@register()
def booking_settings_check(app_configs, **kwargs):
    """The booking settings (working hours, days, zone, slot length) must be readable."""
    from leads.services.booking import booking_settings_problems

    return [Error(problem, id="leads.E001") for problem in booking_settings_problems()]
