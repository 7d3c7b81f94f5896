"""POST /api/v1/leads/analyze: the lead-intelligence endpoint."""

import pytest

from tests.factories import UserFactory
from tests.leads.factories import api_token_secret

URL = "/api/v1/leads/analyze"
pytestmark = pytest.mark.django_db


def test_analysis_returns_the_documented_shape(api_client):
    response = api_client.post(
        URL,
        {"message": "Pre-approved up to $850K, want to buy in Corona within 2 months"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() | {"reasons": [], "score": 0} == {
        "intent": "buyer",
        "budget": {"min": None, "max": 850_000},
        "timeline": "1_3_months",
        "pre_approved": True,
        "language": "en",
        "score": 0,
        "temperature": response.json()["temperature"],
        "reasons": [],
        "engine": "offline",
    }
    assert response.json()["temperature"] in {"hot", "warm"}
    assert response.json()["reasons"]


def test_history_counts_toward_the_analysis(api_client):
    response = api_client.post(
        URL,
        {"message": "en unos 3 meses", "history": ["Hola, busco casa de 400 a 450 mil"]},
        format="json",
    )

    body = response.json()
    assert body["budget"] == {"min": 400_000, "max": 450_000}
    assert body["timeline"] == "1_3_months"
    assert body["language"] == "es"


def test_a_token_works_as_well_as_a_session(anonymous_api_client):
    secret = api_token_secret(UserFactory(username="integration"))
    anonymous_api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    response = anonymous_api_client.post(URL, {"message": "I want to sell"}, format="json")

    assert response.status_code == 200
    assert response.json()["intent"] == "seller"


def test_anonymous_callers_are_refused(anonymous_api_client):
    response = anonymous_api_client.post(URL, {"message": "hi"}, format="json")

    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "body", [{}, {"message": ""}, {"message": "x" * 5001}, {"message": "hi", "history": "nope"}]
)
def test_bad_input_gets_a_clear_400(api_client, body):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_malformed_json_gets_a_400_not_a_500(api_client):
    response = api_client.post(URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
