from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from config import performance

        from .services import save_performance_samples

        # The tracker records in every app; analytics keeps what it records.
        performance.tracker.sink = save_performance_samples
        performance.connect_celery_signals()
