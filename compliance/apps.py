from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        from leads.services.pipeline import (
            register_blocked_draft_handler,
            register_inbound_guard,
            register_outbound_guard,
        )

        from .guards import (
            compliance_inbound_guard,
            compliance_outbound_guard,
            escalate_blocked_draft,
        )
        from .log_redaction import install_log_redaction

        register_inbound_guard(compliance_inbound_guard)
        register_outbound_guard(compliance_outbound_guard)
        register_blocked_draft_handler(escalate_blocked_draft)
        install_log_redaction()
