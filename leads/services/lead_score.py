"""The learned lead score: train a model on the business's own outcomes, and score leads with
the active one (the rule score answers while there is none). docs/lead-scoring.md.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from compliance.models import AuditEvent
from compliance.services import audit
from leads import selectors
from leads.exceptions import LeadsError
from leads.intelligence.learned_score import (
    ALGORITHM,
    Contribution,
    LeadFeatures,
    LinearScorer,
    NotEnoughHistory,
    rule_score_of,
    temperature_of,
    train,
)
from leads.models import Contact, LeadScoreModel

# The active model's version and training time ("7@1733450000.123", "" for none), shared by
# every process through the cache. A process keeps the scorer it loaded while this stays the
# same (the time too: a database rebuilt from scratch numbers its versions from 1 again). On
# the embedded default the cache is per process, so a model trained from another shell is
# picked up within this time.
VERSION_CACHE_KEY = "leads:lead-score-model-version"
VERSION_CACHE_SECONDS = 60
NO_MODEL_REASON = "no trained lead-score model yet (manage.py train_lead_model): the rules answer"

_loaded: tuple[str, LinearScorer] | None = None


class LeadModelError(LeadsError):
    code = "lead_model_error"


@dataclass(frozen=True)
class ScorePrediction:
    """A lead's score by the scorer that answered: "learned" (the active model) or "rules"
    (no model yet; ``reason`` says so, and ``probability`` is None)."""

    probability: float | None
    temperature: str
    top_features: list[Contribution]
    model_version: int | None
    scorer: str
    rule_score: int
    rule_temperature: str
    reason: str = ""


def active_scorer() -> LinearScorer | None:
    """The active model as a scorer, loaded once per process and version; None without one."""
    global _loaded
    token = cache.get(VERSION_CACHE_KEY)
    if token is None:
        active = LeadScoreModel.objects.filter(active=True).values_list("version", "trained_at")
        token = _token(*active[0]) if active else ""
        cache.set(VERSION_CACHE_KEY, token, VERSION_CACHE_SECONDS)
    if not token:
        return None
    if _loaded is not None and _loaded[0] == token:
        return _loaded[1]
    version = int(token.split("@")[0])
    parameters = (
        LeadScoreModel.objects.filter(version=version).values_list("parameters", flat=True).first()
    )
    if parameters is None:  # deleted since: look again next time
        cache.delete(VERSION_CACHE_KEY)
        return None
    scorer = LinearScorer.from_parameters(parameters, version=version)
    _loaded = (token, scorer)
    return scorer


def _token(version: int, trained_at: datetime) -> str:
    return f"{version}@{trained_at.timestamp()}"


def predict_with_features(*, features: LeadFeatures) -> ScorePrediction:
    """Score ``features`` with the active model, or by the rules when there is none."""
    rule_score, rule_temperature, rule_parts = rule_score_of(features)
    scorer = active_scorer()
    if scorer is None:
        return ScorePrediction(
            probability=None,
            temperature=rule_temperature,
            top_features=rule_parts,
            model_version=None,
            scorer="rules",
            rule_score=rule_score,
            rule_temperature=rule_temperature,
            reason=NO_MODEL_REASON,
        )
    probability, top = scorer.score(features)
    return ScorePrediction(
        probability=round(probability, 4),
        temperature=temperature_of(probability),
        top_features=top,
        model_version=scorer.version,
        scorer="learned",
        rule_score=rule_score,
        rule_temperature=rule_temperature,
    )


def score_contact(*, contact_id: int) -> ScorePrediction:
    """Score a contact from everything known about them now (raises Contact.DoesNotExist)."""
    features = selectors.lead_features(cutoffs={contact_id: None})
    if contact_id not in features:
        raise Contact.DoesNotExist(f"No contact {contact_id}.")
    return predict_with_features(features=features[contact_id])


def learned_fields(*, contact: Contact) -> dict:
    """The learned-score fields of ``contact`` as it is in memory (its qualification may not
    be saved yet) with its messages so far; {} without an active model (and no query)."""
    if active_scorer() is None:
        return {}
    features = selectors.lead_features(cutoffs={contact.pk: None}, contacts=[contact])
    prediction = predict_with_features(features=features[contact.pk])
    if prediction.probability is None:
        return {}
    return {
        "learned_score": round(prediction.probability, 3),
        "learned_temperature": prediction.temperature,
        "learned_model_version": prediction.model_version,
    }


def rescore_contacts(*, contact_ids: list[int] | None = None, batch: int = 500) -> int:
    """Store the active model's score on many contacts at once (after training, the demo);
    no audit row or event each: nothing the lead did changed. Returns how many changed."""
    scorer = active_scorer()
    if scorer is None:
        return 0
    ids = contact_ids or list(Contact.objects.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        features = selectors.lead_features(cutoffs=dict.fromkeys(chunk))
        contacts = list(Contact.objects.filter(pk__in=chunk).only("id"))
        for contact in contacts:
            probability, _ = scorer.score(features[contact.pk])
            contact.learned_score = round(probability, 3)
            contact.learned_temperature = temperature_of(probability)
            contact.learned_model_version = scorer.version
        Contact.objects.bulk_update(
            contacts, ["learned_score", "learned_temperature", "learned_model_version"]
        )
        changed += len(contacts)
    return changed


@dataclass(frozen=True)
class TrainingReport:
    model: LeadScoreModel
    outcomes: dict[str, int]  # won / lost / cold rows
    left_out: int  # qualification changed after the outcome


def train_lead_model(
    *, folds: int = 5, activate: bool = True, now: datetime | None = None
) -> TrainingReport:
    """Learn from the leads whose story ended (won vs lost or cold), cross-validated against
    the rule score on the same folds; store the result as the next version (active)."""
    outcomes = selectors.lead_outcomes(now=now)
    cutoffs = {o.contact_id: o.at for o in outcomes}
    left_out = selectors.qualification_changed_after(cutoffs=cutoffs)
    usable = [o for o in outcomes if o.contact_id not in left_out]
    features = selectors.lead_features(cutoffs={o.contact_id: o.at for o in usable})
    try:
        result = train(
            [features[o.contact_id] for o in usable],
            [int(o.converted) for o in usable],
            folds=folds,
        )
    except NotEnoughHistory as exc:
        raise LeadModelError(str(exc), code="not_enough_history") from exc
    counts = {how: sum(o.how == how for o in usable) for how in ("won", "lost", "cold")}
    with transaction.atomic():
        latest = LeadScoreModel.objects.select_for_update().aggregate(v=Max("version"))["v"]
        if activate:
            LeadScoreModel.objects.filter(active=True).update(active=False)
        model = LeadScoreModel.objects.create(
            version=(latest or 0) + 1,
            trained_at=timezone.now(),
            active=activate,
            algorithm=ALGORITHM,
            feature_names=result.feature_names,
            metrics=result.metrics | {"outcomes": counts, "left_out": len(left_out)},
            calibration=result.calibration,
            parameters=result.parameters,
            artifact=result.artifact,
        )
        audit(
            action="lead_model.trained",
            subject=model,
            actor=AuditEvent.Actor.SYSTEM,
            actor_label="train_lead_model",
            data={
                "version": model.version,
                "active": activate,
                "auc_model": result.metrics["auc_model"],
                "auc_rules": result.metrics["auc_rules"],
                "rows": result.metrics["rows"],
            },
        )
        if activate:
            transaction.on_commit(
                partial(
                    cache.set,
                    VERSION_CACHE_KEY,
                    _token(model.version, model.trained_at),
                    VERSION_CACHE_SECONDS,
                )
            )
    return TrainingReport(model=model, outcomes=counts, left_out=len(left_out))
