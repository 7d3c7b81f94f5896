"""Log lines carry the ids of the work they belong to, and never a lead's sensitive data."""

import io
import json
import logging
from logging.config import DictConfigurator
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.test import Client

SSN = "123-45-6789"


class CapturedLog:
    """The root logger's lines, formatted as settings.LOGGING formats them."""

    def __init__(self, log_format: str):
        config = DictConfigurator(django_settings.LOGGING)
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(
            config.configure_formatter(dict(django_settings.LOGGING["formatters"][log_format]))
        )
        self.handler.addFilter(
            config.configure_filter(dict(django_settings.LOGGING["filters"]["log_context"]))
        )

    @property
    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.lines if line.startswith("{")]


@pytest.fixture
def captured_log():
    made = []

    def capture(log_format: str) -> CapturedLog:
        log = CapturedLog(log_format)
        logging.getLogger().addHandler(log.handler)
        made.append(log)
        return log

    yield capture
    for log in made:
        logging.getLogger().removeHandler(log.handler)


@pytest.mark.django_db
def test_a_requests_json_log_line_carries_its_id_and_no_ssn(captured_log):
    log = captured_log("json")

    # A mistyped link with an SSN in it: Django logs the path of every 404.
    response = Client().get(f"/p/ssn:{SSN}/")

    assert response.status_code == 404
    [line] = [line for line in log.json_lines() if line["logger"] == "django.request"]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["level"] == "WARNING" and "timestamp" in line
    assert SSN not in json.dumps(line) and "/p/ssn:[SSN removed]/" in line["message"]


@pytest.mark.django_db
def test_readable_lines_carry_the_id_and_no_ssn_either(captured_log):
    log = captured_log("text")

    response = Client().get(f"/p/ssn:{SSN}/")

    [line] = [line for line in log.lines if "django.request" in line]
    assert f"[request_id={response['X-Request-ID']}]" in line
    assert SSN not in line and "WARNING django.request Not Found: /p/ssn:[SSN removed]/" in line


@pytest.mark.django_db
def test_a_request_id_that_reads_as_an_ssn_is_still_written_whole(captured_log, monkeypatch):
    # Our ids are random hex: nine digits in a row happen, and must not be "redacted" away.
    monkeypatch.setattr("config.logs.uuid.uuid4", lambda: SimpleNamespace(hex="ab613084648ae81f"))
    log = captured_log("text")

    Client().get(f"/p/ssn:{SSN}/")

    [line] = [line for line in log.lines if "django.request" in line]
    assert "[request_id=ab613084648ae81f]" in line and SSN not in line


def test_a_proxys_request_id_that_carries_an_ssn_is_replaced():
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=SSN)

    assert SSN not in response["X-Request-ID"]


def test_a_proxys_request_id_is_kept_and_returned():
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")

    assert response["X-Request-ID"] == "lb-7f3a9c2e-0001"


def test_a_request_id_that_is_not_an_id_is_replaced():
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="<script>alert(1)</script>")

    assert response["X-Request-ID"] != "<script>alert(1)</script>"
    assert len(response["X-Request-ID"]) == 32


def test_an_exception_in_the_log_is_redacted_too(captured_log):
    log = captured_log("json")

    try:
        raise ValueError(f"could not parse {SSN}")
    except ValueError:
        logging.getLogger("leads").exception("parsing failed")

    [line] = log.json_lines()
    assert "ValueError" in line["exc_info"] and SSN not in line["exc_info"]
