"""Log records without sensitive data: every record's message is redacted when it is made.

Installed once per process by ``ComplianceConfig.ready()`` as the logging record factory,
so it covers every logger and every handler (Django's, Celery's workers, pytest's), not
only the handlers named in ``LOGGING``. A record's message and arguments are formatted
and redacted up front; its exception text too. A record without digits costs one scan.
"""

import logging
import traceback

from compliance.rules.privacy import redact_sensitive

_installed = False


def _redacted_factory(base):
    def factory(*args, **kwargs):
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string stays the logging module's problem
            return record
        redacted = redact_sensitive(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            cleaned = redact_sensitive(text)
            if cleaned != text:
                # The formatter prints exc_text as is; the live exception stays for handlers
                # that want the object (Sentry-style), but its text is the redacted one.
                record.exc_text = cleaned
        return record

    factory.redacts_sensitive_data = True  # type: ignore[attr-defined]
    return factory


def install_log_redaction() -> None:
    """Redact sensitive data from every log record made in this process (idempotent)."""
    global _installed
    current = logging.getLogRecordFactory()
    if _installed or getattr(current, "redacts_sensitive_data", False):
        _installed = True
        return
    logging.setLogRecordFactory(_redacted_factory(current))
    _installed = True
