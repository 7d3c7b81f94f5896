"""The schema a client reads: every endpoint is in it, with an example and its error answers."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_shows_an_example(document):
    missing = [
        name
        for name, operation in _operations(document)
        if "examples"
        not in str(operation.get("responses", {}).get(next(iter(operation["responses"]))))
    ]

    assert not missing


def test_every_api_operation_documents_its_errors_as_json(document):
    for name, operation in _operations(document):
        responses = operation["responses"]
        assert "429" in responses, name
        if "/api/" in name:
            # The web chat is public (its Origin is checked, 403): no credentials, so no 401.
            public = {} in operation.get("security", [{}])
            assert ({"403"} if public else {"401", "403"}) <= responses.keys(), name
            assert responses["403"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
        if "{" in name:
            assert "404" in responses, name
    assert "Retry-After" in document["paths"]["/api/v1/deals"]["get"]["responses"]["429"]["headers"]


def test_the_webhooks_are_described(document):
    webhook = document["paths"]["/webhooks/ghl/"]["post"]

    # No security scheme: HighLevel signs the body instead (no token, no session).
    assert "security" not in webhook and "security" not in document
    assert {"200", "401", "413", "415", "429"} <= webhook["responses"].keys()
    assert "X-GHL-Signature" in {p["name"] for p in webhook["parameters"]}
