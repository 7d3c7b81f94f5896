from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """Django's admin with the back office's site (config/backoffice.py) as ``admin.site``."""

    default_site = "config.backoffice.BackOfficeSite"
