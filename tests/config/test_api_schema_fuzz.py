"""schemathesis against the API's own OpenAPI schema: every operation, called in process through
the WSGI app as Jorge with a read-write token on seeded data, must never answer 5xx nor answer
anything the schema does not describe (status, content type, headers, body)."""

import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import checks

from tests.compliance.factories import ComplianceTicketFactory
from tests.factories import UserFactory
from tests.leads.factories import (
    ConversationFactory,
    DealFactory,
    EscalationTicketFactory,
    MessageFactory,
    api_token_secret,
)
from tests.sellers.factories import CMAReportFactory, PropertyFactory

# Transactional: the writes (reply as Jorge) refuse to run inside an open transaction.
pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def seeded_ids() -> dict[str, list[int]]:
    """A little of everything, so generated ids sometimes reach real objects."""
    conversations = [ConversationFactory() for _ in range(3)]
    for conversation in conversations:
        MessageFactory.create_batch(2, conversation=conversation)
    escalation = EscalationTicketFactory(conversation=conversations[0])
    compliance = ComplianceTicketFactory(
        conversation=conversations[1], contact=conversations[1].contact
    )
    deal = DealFactory(contact=conversations[0].contact)
    home = PropertyFactory()
    report = CMAReportFactory(contact=conversations[2].contact)
    return {
        "contact_id": [c.contact_id for c in conversations],
        "conversation_id": [c.pk for c in conversations],
        "deal_id": [deal.pk],
        "property_id": [home.pk],
        "report_id": [report.pk],
        "ticket_id": [escalation.pk, compliance.pk],
    }


@pytest.fixture
def no_throttling(monkeypatch):
    # The limits are tested elsewhere (test_api.py); here they would only hide operations.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"user": "100000/min", "anon": "100000/min", "analyze": "100000/min"},
    )


@pytest.fixture
def wsgi_app():
    """The project's WSGI app, kept off the signal that closes the database connection after
    each request (as Django's test client does): the test's transaction must stay open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _schema(app):
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    return schema


def test_no_operation_answers_5xx_or_outside_its_schema(seeded_ids, no_throttling, wsgi_app):
    jorge = UserFactory(username="jorge", is_staff=True, is_superuser=True)
    headers = {"Authorization": f"Bearer {api_token_secret(jorge)}"}
    schema = _schema(wsgi_app)
    failures: list[str] = []
    operations = 0
    started = time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(), seeded=st.booleans(), pick=st.integers(0, 10))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case, seeded, pick):
            if seeded:
                for name in case.path_parameters or {}:
                    if name in seeded_ids:
                        ids = seeded_ids[name]
                        case.path_parameters[name] = ids[pick % len(ids)]
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            call()
        except Exception as failure:  # every failure is reported together below
            failures.append(f"{operation.label}: {failure}")

    elapsed = time.monotonic() - started
    print(f"schemathesis: {operations} operations in {elapsed:.1f}s")
    assert operations >= 25
    assert not failures, "\n\n".join(failures)
