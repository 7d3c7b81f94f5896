"""POST /api/v1/ml/score: a lead's chance to convert, by the learned model or the rules."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from leads.permissions import REVIEWERS_GROUP
from tests.factories import UserFactory
from tests.leads.factories import (
    ContactFactory,
    ConversationFactory,
    LeadScoreModelFactory,
    MessageFactory,
)

URL = "/api/v1/ml/score"
pytestmark = pytest.mark.django_db


def test_a_contact_is_scored_by_the_active_model(api_client):
    LeadScoreModelFactory(version=4)
    contact = ContactFactory(intent="buyer", timeline="asap")
    conversation = ConversationFactory(contact=contact)
    MessageFactory(conversation=conversation, direction="outbound", sender="bot", body="When?")
    MessageFactory(conversation=conversation, body="asap, we are pre-approved")

    response = api_client.post(URL, {"contact_id": contact.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "contact_id": contact.pk,
        "probability": 0.7311,  # answered every message of ours
        "temperature": "hot",
        "top_features": [{"feature": "reply_rate", "value": 1.0, "contribution": 1.0, "sign": "+"}],
        "model_version": 4,
        "scorer": "learned",
        "reason": "",
        "rule_score": 55,
        "rule_temperature": "warm",
    }


def test_a_feature_dict_is_scored_without_any_contact(api_client):
    LeadScoreModelFactory(version=4)

    response = api_client.post(
        URL, {"features": {"intent": "seller", "reply_rate": 0.0}}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["contact_id"], body["probability"], body["temperature"]) == (None, 0.2689, "warm")
    assert body["top_features"][0] | {"contribution": 0} == {
        "feature": "reply_rate",
        "value": 0.0,
        "contribution": 0,
        "sign": "-",
    }
    assert (body["rule_score"], body["scorer"]) == (35, "learned")


def test_without_a_model_the_rules_answer_and_say_so(api_client):
    response = api_client.post(
        URL,
        {"features": {"intent": "buyer", "timeline": "asap", "budget_max": 500000}},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["scorer"], body["probability"], body["model_version"]) == ("rules", None, None)
    assert body["reason"].startswith("no trained lead-score model yet")
    assert (body["rule_score"], body["temperature"]) == (70, "hot")
    assert [(f["feature"], f["contribution"], f["sign"]) for f in body["top_features"]] == [
        ("timeline", 35.0, "+"),
        ("intent", 20.0, "+"),
        ("budget_max", 15.0, "+"),
    ]


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({}, "Give either contact_id or features"),
        ({"contact_id": 1, "features": {}}, "Give either contact_id or features"),
        ({"contact_id": "abc"}, "valid integer"),
        ({"features": {"timeline": "tomorrow"}}, "not a valid choice"),
        ({"features": {"reply_rate": 2}}, "less than or equal to 1"),
        ({"features": {"deal_stage": "closed_won"}}, "Not features of the lead score: deal_stage"),
        ({"features": ["buyer"]}, "dictionary"),
    ],
)
def test_bad_input_is_a_400_that_says_what_is_wrong(api_client, payload, complaint):
    response = api_client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert complaint in str(response.json()["error"]["details"])


def test_an_unknown_contact_is_a_404(api_client):
    response = api_client.post(URL, {"contact_id": 999999}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such contact."


def test_strangers_and_reviewers_may_not_score_leads(anonymous_api_client):
    reviewer = UserFactory(username="maria", is_staff=True)
    reviewer.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    as_reviewer = APIClient()
    as_reviewer.force_authenticate(reviewer)
    payload = {"features": {"intent": "buyer"}}

    # No credentials: 401 (asked to authenticate); a reviewer is known but not allowed: 403.
    assert anonymous_api_client.post(URL, payload, format="json").status_code == 401
    assert as_reviewer.post(URL, payload, format="json").status_code == 403


def test_the_schema_documents_the_endpoint_with_examples(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/ml/score"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert {"AContact", "Features"} <= set(examples)
    assert "LeadScore" in schema["components"]["schemas"]
    assert set(schema["components"]["schemas"]["LeadScoreFeaturesRequest"]["properties"]) >= {
        "intent",
        "reply_rate",
        "median_reply_minutes",
    }
