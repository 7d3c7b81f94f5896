"""The learned lead score: features known when a lead is scored, the linear scorer that serves
them, and the training that fits it (docs/lead-scoring.md, "The learned score").

Pure Python and plain numbers here; scikit-learn is imported only by ``train``, so the web
and worker processes that only score never load it.
"""

import io
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from leads.intelligence.schema import Budget, TemperatureValue
from leads.intelligence.scoring import (
    AREA_POINTS,
    BUDGET_POINTS,
    INTENT_POINTS,
    PRE_APPROVED_POINTS,
    SELLER_AREA_POINTS,
    TIMELINE_POINTS,
    score_lead,
)

# A learned probability reads as a temperature by these cut-offs (the rules' 70/40 points do
# not apply to a probability). Chosen on the demo's calibration: hot leads convert more than
# half the time, warm ones about one in five.
LEARNED_HOT_AT = 0.45
LEARNED_WARM_AT = 0.2
TOP_FEATURES = 5
# Inputs that may be unknown (left out by ``vectorize``) and then take the training mean, so an
# unknown counts as typical, not as zero: how fast we first answered (no reply yet, or a
# client of the API that does not say).
IMPUTED = ("first_response_log",)
ALGORITHM = "logistic regression (scikit-learn), standardised features"

# The fields of LeadFeatures, i.e. everything the model may see. Nothing recorded after the
# outcome (deals, their stage or value, the conversation's stage or status, bookings, the
# stored rule score) is a feature (tests/leads/test_learned_score.py holds this).
FEATURE_FIELDS = (
    "intent",
    "timeline",
    "budget_max",
    "pre_approved",
    "area",
    "language",
    "source",
    "inbound_messages",
    "avg_words",
    "reply_rate",
    "median_reply_minutes",
    "first_response_seconds",
)


@dataclass(frozen=True)
class LeadFeatures:
    """What is known about a lead when it is scored: qualification, engagement, response times.

    Engagement is the lead's side of the conversation so far: their messages, how long they
    are, how many of our messages they answered and how fast (median minutes).
    ``first_response_seconds`` is how fast we first answered them.
    """

    intent: str = "unknown"
    timeline: str = "unknown"
    budget_max: int | None = None
    pre_approved: bool | None = None
    area: str = ""
    language: str = "en"
    source: str = ""
    inbound_messages: int = 0
    avg_words: float = 0.0
    reply_rate: float = 0.0
    median_reply_minutes: float | None = None
    first_response_seconds: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Engagement:
    inbound_messages: int = 0
    avg_words: float = 0.0
    reply_rate: float = 0.0
    median_reply_minutes: float | None = None


def engagement_of(messages: Iterable[tuple[str, datetime, str]]) -> Engagement:
    """Engagement from a conversation's ``(direction, at, body)`` rows, oldest first."""
    inbound_words: list[int] = []
    waiting_since: datetime | None = None  # our last message the lead has not answered yet
    outbound = answered = 0
    reply_minutes: list[float] = []
    for direction, at, body in messages:
        if direction == "outbound":
            outbound += 1
            waiting_since = waiting_since or at
            continue
        inbound_words.append(len(body.split()))
        if waiting_since is not None:
            answered += 1
            reply_minutes.append(max(0.0, (at - waiting_since).total_seconds() / 60))
            waiting_since = None
    return Engagement(
        inbound_messages=len(inbound_words),
        avg_words=statistics.fmean(inbound_words) if inbound_words else 0.0,
        reply_rate=answered / outbound if outbound else 0.0,
        median_reply_minutes=statistics.median(reply_minutes) if reply_minutes else None,
    )


def vectorize(features: LeadFeatures) -> dict[str, float]:
    """The model's inputs: one-hot categories, flags and log-scaled amounts and times."""
    x: dict[str, float] = {
        f"intent={features.intent}": 1.0,
        f"timeline={features.timeline}": 1.0,
        "pre_approved=" + {True: "yes", False: "no", None: "unknown"}[features.pre_approved]: 1.0,
        "area_known": 1.0 if features.area else 0.0,
        "spanish": 1.0 if features.language == "es" else 0.0,
        "messages_log": math.log1p(max(0, features.inbound_messages)),
        "avg_words": min(60.0, max(0.0, features.avg_words)),
        "reply_rate": min(1.0, max(0.0, features.reply_rate)),
    }
    if features.source:
        x[f"source={features.source}"] = 1.0
    if features.budget_max:
        x["budget_stated"] = 1.0
        x["budget_log"] = math.log(max(features.budget_max, 10_000) / 100_000)
    if features.median_reply_minutes is not None:
        x["reply_time_known"] = 1.0
        x["reply_minutes_log"] = math.log1p(max(0.0, features.median_reply_minutes))
    if features.first_response_seconds is not None:
        x["first_response_log"] = math.log1p(max(0.0, features.first_response_seconds))
    return x


def field_of(name: str) -> str:
    """The LeadFeatures field an input comes from ("timeline=asap" → "timeline")."""
    base = name.split("=", 1)[0]
    return {
        "area_known": "area",
        "spanish": "language",
        "messages_log": "inbound_messages",
        "budget_stated": "budget_max",
        "budget_log": "budget_max",
        "reply_time_known": "median_reply_minutes",
        "reply_minutes_log": "median_reply_minutes",
        "first_response_log": "first_response_seconds",
    }.get(base, base)


def temperature_of(probability: float) -> TemperatureValue:
    if probability >= LEARNED_HOT_AT:
        return "hot"
    if probability >= LEARNED_WARM_AT:
        return "warm"
    return "cold"


@dataclass(frozen=True)
class Contribution:
    """How much one feature pushed the score: coefficient × standardised value, summed over
    the inputs of the feature (log-odds). ``sign`` is "+" (towards converting) or "-"."""

    feature: str
    value: object
    contribution: float

    @property
    def sign(self) -> str:
        return "+" if self.contribution >= 0 else "-"


@dataclass(frozen=True)
class LinearScorer:
    """The fitted model as plain numbers: what serving needs, a few microseconds a lead."""

    version: int
    names: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    impute: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_parameters(cls, parameters: dict, *, version: int) -> "LinearScorer":
        return cls(
            version=version,
            names=tuple(parameters["names"]),
            means=tuple(parameters["means"]),
            scales=tuple(parameters["scales"]),
            coefficients=tuple(parameters["coefficients"]),
            intercept=float(parameters["intercept"]),
            impute=dict(parameters.get("impute", {})),
        )

    def score(self, features: LeadFeatures) -> tuple[float, list[Contribution]]:
        """(probability of converting, the top contributions, largest first)."""
        x = self.impute | vectorize(features)
        by_field: dict[str, float] = {}
        z = self.intercept
        for name, mean, scale, coefficient in zip(
            self.names, self.means, self.scales, self.coefficients, strict=True
        ):
            part = coefficient * (x.get(name, 0.0) - mean) / scale
            z += part
            key = field_of(name)
            by_field[key] = by_field.get(key, 0.0) + part
        probability = 1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, z))))
        top = sorted(by_field.items(), key=lambda item: -abs(item[1]))[:TOP_FEATURES]
        return probability, [
            Contribution(name, getattr(features, name), round(value, 3)) for name, value in top
        ]


def rule_score_of(features: LeadFeatures) -> tuple[int, TemperatureValue, list[Contribution]]:
    """Today's rule-based score of the same features, with its points as contributions."""
    score, temperature, _ = score_lead(
        intent=features.intent,  # type: ignore[arg-type]
        timeline=features.timeline,  # type: ignore[arg-type]
        budget=Budget(max=features.budget_max),
        pre_approved=features.pre_approved,
        area=features.area,
    )
    parts = [
        ("intent", INTENT_POINTS.get(features.intent, 0)),
        ("timeline", TIMELINE_POINTS.get(features.timeline, 0)),
    ]
    if features.intent != "seller":
        parts.append(("budget_max", BUDGET_POINTS if features.budget_max else 0))
        parts.append(("pre_approved", PRE_APPROVED_POINTS if features.pre_approved else 0))
    if features.area:
        parts.append(("area", SELLER_AREA_POINTS if features.intent == "seller" else AREA_POINTS))
    contributions = [
        Contribution(name, getattr(features, name), float(points))
        for name, points in sorted(parts, key=lambda p: -p[1])
        if points
    ]
    return score, temperature, contributions


# --- Training ---------------------------------------------------------------------------------


class NotEnoughHistory(ValueError):
    """Too few leads with an outcome (or of one outcome) to train and cross-validate."""


@dataclass(frozen=True)
class TrainingResult:
    parameters: dict
    artifact: bytes
    feature_names: list[str]
    metrics: dict
    calibration: list[dict]


MIN_PER_CLASS = 10


def _auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def _pipeline():
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        DictVectorizer(sparse=False),
        StandardScaler(),
        LogisticRegression(C=0.5, max_iter=2000),
    )


def calibration_table(labels: Sequence[int], probabilities: Sequence[float], bins: int = 10):
    """Predicted vs observed conversion rate by decile of the predictions (lowest first)."""
    order = sorted(range(len(labels)), key=lambda i: probabilities[i])
    rows = []
    for decile in range(bins):
        chunk = order[decile * len(order) // bins : (decile + 1) * len(order) // bins]
        if not chunk:
            continue
        rows.append(
            {
                "decile": decile + 1,
                "n": len(chunk),
                "predicted": round(statistics.fmean(probabilities[i] for i in chunk), 3),
                "observed": round(statistics.fmean(labels[i] for i in chunk), 3),
            }
        )
    return rows


def train(
    features: Sequence[LeadFeatures], labels: Sequence[int], *, folds: int = 5, seed: int = 0
) -> TrainingResult:
    """Cross-validate the model and the rule score on the same stratified folds, then fit the
    model on every row. Raises NotEnoughHistory when a fold could lack an outcome."""
    import joblib
    from sklearn.model_selection import StratifiedKFold

    positives = sum(labels)
    negatives = len(labels) - positives
    if min(positives, negatives) < max(MIN_PER_CLASS, folds):
        raise NotEnoughHistory(
            f"{positives} converted and {negatives} not: at least "
            f"{max(MIN_PER_CLASS, folds)} of each are needed to train."
        )
    rows = [vectorize(f) for f in features]
    impute = {}
    for name in IMPUTED:
        known = [row[name] for row in rows if name in row]
        impute[name] = statistics.fmean(known) if known else 0.0
    rows = [impute | row for row in rows]
    rule_scores = [rule_score_of(f)[0] for f in features]
    y = list(labels)
    out_of_fold = [0.0] * len(y)
    model_aucs, rule_aucs = [], []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(rows, y):
        model = _pipeline().fit([rows[i] for i in train_idx], [y[i] for i in train_idx])
        predicted = model.predict_proba([rows[i] for i in test_idx])[:, 1]
        for i, p in zip(test_idx, predicted, strict=True):
            out_of_fold[i] = float(p)
        test_y = [y[i] for i in test_idx]
        model_aucs.append(_auc(test_y, predicted))
        rule_aucs.append(_auc(test_y, [rule_scores[i] for i in test_idx]))

    final = _pipeline().fit(rows, y)
    vectorizer, scaler, regression = (step for _, step in final.steps)
    names = list(vectorizer.feature_names_)
    parameters = {
        "names": names,
        "means": [float(v) for v in scaler.mean_],
        "scales": [float(v) if v else 1.0 for v in scaler.scale_],
        "coefficients": [float(v) for v in regression.coef_[0]],
        "intercept": float(regression.intercept_[0]),
        "impute": impute,
    }
    buffer = io.BytesIO()
    joblib.dump(final, buffer)
    metrics = {
        "rows": len(y),
        "converted": positives,
        "not_converted": negatives,
        "folds": folds,
        "auc_model": round(statistics.fmean(model_aucs), 4),
        "auc_model_std": round(statistics.pstdev(model_aucs), 4),
        "auc_rules": round(statistics.fmean(rule_aucs), 4),
        "auc_rules_std": round(statistics.pstdev(rule_aucs), 4),
        "auc_model_by_fold": [round(a, 4) for a in model_aucs],
        "auc_rules_by_fold": [round(a, 4) for a in rule_aucs],
    }
    return TrainingResult(
        parameters=parameters,
        artifact=buffer.getvalue(),
        feature_names=list(FEATURE_FIELDS),
        metrics=metrics,
        calibration=calibration_table(y, out_of_fold),
    )
