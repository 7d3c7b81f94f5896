from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        from leads.services.pipeline import register_inbound_guard, register_outbound_guard

        from .guards import fair_housing_inbound_guard, fair_housing_outbound_guard

        register_inbound_guard(fair_housing_inbound_guard)
        register_outbound_guard(fair_housing_outbound_guard)
