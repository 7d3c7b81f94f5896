"""POST /api/v1/compliance/check: the check anyone on the team can call."""

import pytest

from compliance.models import ComplianceTicket
from tests.factories import UserFactory
from tests.leads.factories import api_token_secret

URL = "/api/v1/compliance/check"
pytestmark = pytest.mark.django_db


def test_a_clean_message_has_an_empty_list(api_client):
    response = api_client.post(
        URL,
        {"message": "3 bedrooms near the 210, around 500k", "direction": "inbound"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"violations": []}


def test_a_steering_draft_returns_its_violations(api_client):
    response = api_client.post(
        URL, {"message": "Great for young families!", "direction": "outbound"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {
        "violations": [
            {
                "type": "fair_housing",
                "category": "familial_status",
                "evidence": "great for young families",
                "severity": "high",
            }
        ]
    }


def test_sensitive_data_comes_back_redacted_and_nothing_is_stored(api_client):
    response = api_client.post(
        URL,
        {"message": "my ssn 123-45-6789 and card 4111 1111 1111 1111", "direction": "inbound"},
        format="json",
    )

    violations = response.json()["violations"]
    assert [(v["type"], v["category"]) for v in violations] == [
        ("privacy", "ssn"),
        ("privacy", "card_number"),
    ]
    assert "6789" not in response.content.decode() and "4111" not in response.content.decode()
    assert ComplianceTicket.objects.count() == 0  # a dry run


def test_the_same_text_is_judged_by_its_direction(api_client):
    text = "Please text me your social security number."

    inbound = api_client.post(URL, {"message": text, "direction": "inbound"}, format="json")
    outbound = api_client.post(URL, {"message": text, "direction": "outbound"}, format="json")

    assert inbound.json() == {"violations": []}
    assert [v["category"] for v in outbound.json()["violations"]] == ["requests_sensitive_data"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"direction": "inbound"}, "message"),
        ({"message": "   ", "direction": "inbound"}, "message"),
        ({"message": "x" * 5001, "direction": "inbound"}, "message"),
        ({"message": "hi"}, "direction"),
        ({"message": "hi", "direction": "sideways"}, "direction"),
        ({"message": ["hi"], "direction": "inbound"}, "message"),
    ],
)
def test_bad_input_is_a_400_that_names_the_field(api_client, body, field):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "The request is not valid."
    assert field in error["details"]


def test_a_body_that_is_not_json_is_a_400(api_client):
    response = api_client.post(URL, "not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_anonymous_callers_are_refused(anonymous_api_client):
    response = anonymous_api_client.post(
        URL, {"message": "hi", "direction": "inbound"}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_token_works_as_well_as_a_session(anonymous_api_client):
    secret = api_token_secret(UserFactory(username="integration"))
    anonymous_api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    response = anonymous_api_client.post(
        URL, {"message": "is it a safe area?", "direction": "inbound"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["violations"][0]["category"] == "neighborhood_safety"


def test_the_endpoint_is_in_the_api_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/compliance/check"]["post"]
    assert "ComplianceCheckInput" in str(operation["requestBody"])
    assert "ComplianceCheckResult" in str(operation["responses"]["200"])
    assert set(schema["components"]["schemas"]["ComplianceViolation"]["properties"]) == {
        "type",
        "category",
        "evidence",
        "severity",
    }
