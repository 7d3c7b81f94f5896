from decimal import Decimal

from leads.models import Deal, Temperature
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, DealFactory

URL = "/api/v1/analytics/pipeline"


def test_pipeline_summary_counts_leads_stages_and_commission(api_client):
    ContactFactory.create_batch(2, temperature=Temperature.HOT)
    ConversationFactory(stage="qualifying")
    DealFactory(stage=Deal.Stage.CLOSED_WON, value=500_000)
    DealFactory(
        stage=Deal.Stage.CLOSED_WON,
        value=400_000,
        side=Deal.Side.SELL,
        commission_percent_override=Decimal("5"),
    )
    DealFactory(stage=Deal.Stage.UNDER_CONTRACT, value=600_000)
    DealFactory(stage=Deal.Stage.CLOSED_LOST, value=900_000)

    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["leads_by_temperature"]["hot"] == 2
    assert body["conversations_by_stage"]["qualifying"] == 1
    assert body["deals_won"] == 2
    assert body["deals_open"] == 1
    # Jorge's take-home under the default rules: 6% of the price, his side's half, 80% of it.
    assert body["commission_earned"] == "20000"  # 12,000 + 8,000 (negotiated at 5%)
    assert body["commission_pending"] == "14400"


def test_pipeline_summary_needs_a_login(anonymous_api_client, db):
    response = anonymous_api_client.get(URL)

    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "not_authenticated"


def test_pipeline_summary_is_for_staff_only(anonymous_api_client, db):
    anonymous_api_client.force_authenticate(UserFactory(username="someone"))

    response = anonymous_api_client.get(URL)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
