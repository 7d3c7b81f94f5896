from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """Django's admin with the back office's site (config/backoffice.py) as ``admin.site``."""

    default_site = "config.backoffice.BackOfficeSite"

    def ready(self):
        super().ready()  # every app's admin module, on the back office's site
        from config import axes_admin  # noqa: F401 - the login protection's pages
