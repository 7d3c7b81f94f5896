"""The login protection's records in the back office (*Users and API access*): the access
attempts that lock an account or an address (delete them to unlock), and the logs of logins
and of failed ones. django-axes' own admin pages, on the back office's base class, so a page
with nothing to change has no Save button (AXES_ENABLE_ADMIN is off to register these)."""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin

from config.backoffice import BackOfficeAdmin


@admin.register(AccessAttempt)
class AccessAttemptBackOfficeAdmin(BackOfficeAdmin, AccessAttemptAdmin):
    pass


@admin.register(AccessLog)
class AccessLogBackOfficeAdmin(BackOfficeAdmin, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class AccessFailureLogBackOfficeAdmin(BackOfficeAdmin, AccessFailureLogAdmin):
    pass
