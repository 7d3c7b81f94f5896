"""The learned lead score: training on the business's outcomes, features known before them,
scoring live on each qualifying message, and the rules answering while there is no model."""

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from analytics.demo import load_demo_data
from analytics.demo_outcomes import load_demo_outcomes
from compliance.models import AuditEvent
from leads import selectors
from leads.intelligence.learned_score import (
    FEATURE_FIELDS,
    LeadFeatures,
    engagement_of,
    temperature_of,
)
from leads.models import Contact, Deal, LeadScoreModel
from leads.services import lead_score, qualification
from leads.services.lead_score import predict_with_features, score_contact
from tests.leads.factories import (
    ContactFactory,
    ConversationFactory,
    DealFactory,
    LeadScoreModelFactory,
    MessageFactory,
    receive_sms,
)

pytestmark = pytest.mark.django_db
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 10:00 in Riverside


def _talk(contact, start, *, lead_messages: int, minutes: int = 10):
    """A conversation where the bot writes and the lead answers ``lead_messages`` times."""
    conversation = ConversationFactory(contact=contact, first_response_seconds=4.0)
    at = start
    for _ in range(lead_messages):
        MessageFactory(
            conversation=conversation, direction="outbound", sender="bot", body="Hi!", created_at=at
        )
        at += timedelta(minutes=minutes)
        MessageFactory(conversation=conversation, body="Yes, looking to buy soon", created_at=at)
        at += timedelta(minutes=1)
    return conversation


# --- Training -----------------------------------------------------------------------------------


def test_training_on_the_seeded_demo_prints_both_aucs_and_stores_them():
    load_demo_data(password="demo-pass-123")
    load_demo_outcomes()
    out = StringIO()

    call_command("train_lead_model", stdout=out)

    printed = out.getvalue()
    model = LeadScoreModel.objects.get(active=True)
    metrics = model.metrics
    assert f"AUC learned model: {metrics['auc_model']:.3f}" in printed
    assert f"AUC rule score:    {metrics['auc_rules']:.3f}" in printed
    assert "Calibration (out-of-fold predictions by decile)" in printed
    assert f"Stored lead-score model v{model.version} (active)" in printed
    # A few hundred leads with an outcome, and a model that learned something the rules miss.
    assert metrics["rows"] >= 400 and metrics["converted"] >= 50
    assert metrics["auc_model"] > 0.65 and metrics["auc_model"] > metrics["auc_rules"]
    assert len(metrics["auc_model_by_fold"]) == len(metrics["auc_rules_by_fold"]) == 5
    assert [row["decile"] for row in model.calibration] == list(range(1, 11))
    assert sum(row["n"] for row in model.calibration) == metrics["rows"]
    assert model.artifact and model.parameters["names"]
    assert AuditEvent.objects.filter(action="lead_model.trained").count() == 1


def test_the_demo_outcomes_are_the_same_on_every_machine():
    load_demo_outcomes()
    first = list(
        Deal.objects.order_by("contact__ghl_contact_id").values_list(
            "contact__ghl_contact_id", "stage"
        )
    )
    Contact.objects.all().delete()

    load_demo_outcomes()
    assert load_demo_outcomes() == 0  # twice adds nothing

    again = list(
        Deal.objects.order_by("contact__ghl_contact_id").values_list(
            "contact__ghl_contact_id", "stage"
        )
    )
    assert again == first
    assert {stage for _, stage in first} == {Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST}


def test_a_new_training_run_is_the_next_version_and_the_only_active_one():
    load_demo_outcomes()
    call_command("train_lead_model", stdout=StringIO())
    call_command("train_lead_model", stdout=StringIO())

    assert list(LeadScoreModel.objects.values_list("version", "active")) == [
        (2, True),
        (1, False),
    ]
    assert score_contact(contact_id=Contact.objects.first().pk).model_version == 2


def test_training_without_enough_history_says_so_and_stores_nothing():
    contact = ContactFactory()
    DealFactory(contact=contact, stage=Deal.Stage.CLOSED_WON, closed_at=timezone.now())

    with pytest.raises(CommandError, match="1 converted and 0 not"):
        call_command("train_lead_model", stdout=StringIO())
    assert not LeadScoreModel.objects.exists()


# --- Outcomes and features known before them ----------------------------------------------------


def test_outcomes_are_won_lost_or_cold_and_open_or_recent_leads_have_none():
    now = timezone.now()
    won, lost, cold, open_deal, recent = ContactFactory.create_batch(5)
    DealFactory(contact=won, stage=Deal.Stage.CLOSED_WON, closed_at=now - timedelta(days=5))
    DealFactory(contact=lost, stage=Deal.Stage.CLOSED_LOST, closed_at=now - timedelta(days=9))
    DealFactory(contact=open_deal, stage=Deal.Stage.UNDER_CONTRACT)
    _talk(cold, now - timedelta(days=90), lead_messages=1)
    _talk(recent, now - timedelta(days=3), lead_messages=1)

    outcomes = {o.contact_id: (o.converted, o.how) for o in selectors.lead_outcomes(now=now)}

    assert outcomes == {won.pk: (True, "won"), lost.pk: (False, "lost"), cold.pk: (False, "cold")}


def test_a_message_recorded_after_the_outcome_changes_no_feature():
    won_at = timezone.now() - timedelta(days=10)
    contact = ContactFactory(intent="buyer", timeline="asap")
    conversation = _talk(contact, won_at - timedelta(days=20), lead_messages=3)
    DealFactory(contact=contact, stage=Deal.Stage.CLOSED_WON, closed_at=won_at)
    [outcome] = selectors.lead_outcomes()
    before = selectors.lead_features(cutoffs={contact.pk: outcome.at})[contact.pk]

    MessageFactory(conversation=conversation, body="Thank you so much, we love the house!!")

    after = selectors.lead_features(cutoffs={contact.pk: outcome.at})[contact.pk]
    assert after == before
    assert before.inbound_messages == 3
    # Scoring now (no cutoff) does see it: it is known at scoring time.
    assert selectors.lead_features(cutoffs={contact.pk: None})[contact.pk].inbound_messages == 4


def test_nothing_recorded_after_the_outcome_is_a_feature():
    # Deals, stages, statuses, bookings and the stored rule score all come after (or from) the
    # outcome; none of them is a feature the model may see.
    after_the_outcome = {"deal", "stage", "status", "closed_at", "value", "appointment", "score"}
    assert set(FEATURE_FIELDS) == {f.name for f in fields(LeadFeatures)}
    assert not {part for name in FEATURE_FIELDS for part in name.split("_")} & after_the_outcome


def test_a_lead_whose_qualification_changed_after_the_outcome_is_left_out():
    won_at = timezone.now() - timedelta(days=10)
    contact = ContactFactory()
    DealFactory(contact=contact, stage=Deal.Stage.CLOSED_WON, closed_at=won_at)
    AuditEvent.objects.create(
        at=won_at + timedelta(days=1),
        action="lead.qualification_updated",
        subject_type="leads.contact",
        subject_id=str(contact.pk),
        data={"timeline": "asap"},
    )

    assert selectors.qualification_changed_after(cutoffs={contact.pk: won_at}) == {contact.pk}
    assert (
        selectors.qualification_changed_after(cutoffs={contact.pk: won_at + timedelta(days=2)})
        == set()
    )


def test_engagement_counts_answers_and_how_fast_the_lead_gives_them():
    t = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    rows = [
        ("inbound", t, "hi I want to buy"),
        ("outbound", t + timedelta(minutes=1), "When?"),
        ("inbound", t + timedelta(minutes=11), "in two months"),
        ("outbound", t + timedelta(minutes=12), "Budget?"),
        ("outbound", t + timedelta(days=2), "Still looking?"),
    ]

    engagement = engagement_of(rows)

    assert engagement.inbound_messages == 2
    assert engagement.avg_words == 4.0  # 5 and 3 words
    assert engagement.reply_rate == pytest.approx(1 / 3)
    assert engagement.median_reply_minutes == 10


# --- Scoring ------------------------------------------------------------------------------------


def test_without_a_model_the_rules_answer_and_say_so():
    prediction = predict_with_features(
        features=LeadFeatures(intent="buyer", timeline="asap", pre_approved=True)
    )

    assert prediction.scorer == "rules"
    assert prediction.probability is None and prediction.model_version is None
    assert "no trained lead-score model" in prediction.reason
    assert (prediction.rule_score, prediction.temperature) == (75, "hot")
    assert [(c.feature, c.sign) for c in prediction.top_features][:2] == [
        ("timeline", "+"),
        ("intent", "+"),
    ]


def test_the_active_model_scores_with_its_version_and_signed_contributions():
    LeadScoreModelFactory(version=3)

    eager = predict_with_features(features=LeadFeatures(reply_rate=1.0))
    silent = predict_with_features(features=LeadFeatures(reply_rate=0.0))

    assert (eager.scorer, eager.model_version) == ("learned", 3)
    assert eager.probability == pytest.approx(0.7311, abs=1e-4)
    assert eager.temperature == temperature_of(eager.probability) == "hot"
    assert silent.probability == pytest.approx(0.2689, abs=1e-4)
    assert [(c.feature, c.value, c.sign) for c in eager.top_features] == [("reply_rate", 1.0, "+")]
    assert [(c.feature, c.sign) for c in silent.top_features] == [("reply_rate", "-")]


def test_an_unknown_first_response_counts_as_typical_not_as_zero():
    LeadScoreModelFactory(
        parameters={
            "names": ["first_response_log"],
            "means": [2.0],
            "scales": [0.5],
            "coefficients": [-1.0],
            "intercept": 0.0,
            "impute": {"first_response_log": 2.0},  # the training mean
        }
    )

    unknown = predict_with_features(features=LeadFeatures(first_response_seconds=None))
    instant = predict_with_features(features=LeadFeatures(first_response_seconds=0))

    assert unknown.probability == 0.5
    assert instant.probability > 0.95


def test_a_new_active_version_replaces_the_loaded_one():
    first = LeadScoreModelFactory(version=1)
    before = predict_with_features(features=LeadFeatures())
    assert (before.model_version, before.probability) == (1, pytest.approx(0.2689, abs=1e-4))

    LeadScoreModel.objects.filter(pk=first.pk).update(active=False)
    LeadScoreModelFactory(version=2, parameters=first.parameters | {"intercept": 2.0})
    lead_score.cache.delete(lead_score.VERSION_CACHE_KEY)  # what training does on commit

    second = predict_with_features(features=LeadFeatures())
    assert second.model_version == 2
    assert second.probability == pytest.approx(0.7311, abs=1e-4)


def test_a_rebuilt_databases_model_of_the_same_version_is_not_taken_for_the_old_one():
    old = LeadScoreModelFactory(version=1)
    assert predict_with_features(features=LeadFeatures()).probability == 0.2689
    old.delete()
    lead_score.cache.clear()  # a new database, a new cache

    LeadScoreModelFactory(version=1, parameters=old.parameters | {"intercept": 2.0})

    assert predict_with_features(features=LeadFeatures()).probability == 0.7311


def test_each_qualifying_message_updates_the_learned_score_its_history_and_the_dashboard(
    monkeypatch, django_capture_on_commit_callbacks
):
    LeadScoreModelFactory(version=7)
    events = []
    monkeypatch.setattr(qualification, "broadcast_dashboard_event", lambda **e: events.append(e))
    ContactFactory(ghl_contact_id="c-1", ghl_location_id="loc", language="en")

    with time_machine.travel(MORNING, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            receive_sms("c-1", "I want to buy a home in Riverside")
        first = Contact.objects.get(ghl_contact_id="c-1")
        with django_capture_on_commit_callbacks(execute=True):
            receive_sms("c-1", "in the next 2 months")  # answers the bot's question

    contact = Contact.objects.get(ghl_contact_id="c-1")
    # First message: nothing of ours to answer yet; then the lead answered every bot message.
    assert (first.learned_score, first.learned_temperature) == (0.269, "warm")
    assert (contact.learned_score, contact.learned_temperature) == (0.731, "hot")
    assert contact.learned_model_version == 7
    history = selectors.score_history(contact=contact)
    assert [e.data.get("learned_score") for e in history] == [0.269, 0.731]
    scored = [e["data"] for e in events if e["kind"] == "lead.scored"]
    assert [(e["learned_score"], e["learned_temperature"]) for e in scored] == [
        (0.269, "warm"),
        (0.731, "hot"),
    ]
    assert scored[-1]["contact"] == contact.pk and scored[-1]["score"] == contact.score


def test_without_a_model_a_qualifying_message_leaves_the_learned_score_empty(
    django_capture_on_commit_callbacks,
):
    ContactFactory(ghl_contact_id="c-2", ghl_location_id="loc", language="en")

    with (
        time_machine.travel(MORNING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        receive_sms("c-2", "I want to buy a home in Riverside asap")

    contact = Contact.objects.get(ghl_contact_id="c-2")
    assert contact.score > 0 and contact.learned_score is None
