"""The one compliance check: a message in, its violations out.

``check_message(text, direction)`` runs the rule-based checks of ``compliance/rules`` on a
lead's message (``inbound``) or a bot's draft (``outbound``) and returns what it finds,
with evidence already redacted. The bot pipeline runs it on every inbound message and every
outbound draft (``compliance/guards.py``); ``POST /api/v1/compliance/check`` runs it for
anyone. Pure: no database, no I/O, no clock; deterministic and fast.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from compliance.rules import fair_housing, privacy, tcpa

ViolationType = Literal["fair_housing", "privacy", "tcpa"]
Severity = Literal["low", "medium", "high"]
Direction = Literal["inbound", "outbound"]

VIOLATION_TYPES: tuple[str, ...] = ("fair_housing", "privacy", "tcpa")
SEVERITIES: tuple[str, ...] = ("low", "medium", "high")
DIRECTIONS: tuple[str, ...] = ("inbound", "outbound")

# A question about safety or "who lives there" is deflected like any other, but it is the
# least serious: the lead asked, nobody stated a preference.
_LOW_INBOUND_FAIR_HOUSING = frozenset({"neighborhood_safety", "area_demographics"})


@dataclass(frozen=True)
class Violation:
    """One broken rule: its type, category, the redacted words that show it, and how serious."""

    type: ViolationType
    category: str
    evidence: str
    severity: Severity

    def as_dict(self) -> dict:
        return asdict(self)


def _fair_housing(text: str, direction: str) -> list[Violation]:
    if direction == "inbound":
        flag = fair_housing.detect_protected_topic(text)
        if flag is None:
            return []
        severity = "low" if flag.topic in _LOW_INBOUND_FAIR_HOUSING else "medium"
        return [
            Violation(
                type="fair_housing",
                category=flag.topic,
                evidence=privacy.redact_sensitive(flag.matched),
                severity=severity,
            )
        ]
    found: dict[str, list[str]] = {}
    for category, phrase in fair_housing.find_prohibited(text):
        found.setdefault(category, []).append(phrase)
    return [
        Violation(
            type="fair_housing",
            category=category,
            evidence="; ".join(privacy.redact_sensitive(p) for p in phrases),
            severity="high",
        )
        for category, phrases in found.items()
    ]


def _privacy(text: str, direction: str) -> list[Violation]:
    violations: list[Violation] = []
    seen: set[str] = set()
    for match in privacy.find_sensitive_data(text):
        if match.kind in seen:
            continue
        seen.add(match.kind)
        violations.append(
            Violation(
                type="privacy",
                category=match.kind,
                evidence=privacy.evidence_around(text, match.start, match.end),
                severity="medium" if match.kind == "date_of_birth" else "high",
            )
        )
    # A stored message was redacted when it arrived: its placeholders say what it carried.
    for match in privacy.find_placeholders(text):
        if match.kind not in seen:
            seen.add(match.kind)
            violations.append(
                Violation(
                    type="privacy",
                    category=match.kind,
                    evidence=privacy.evidence_around(text, match.start, match.end),
                    severity="medium" if match.kind == "date_of_birth" else "high",
                )
            )
    if direction == "outbound":
        asked = privacy.asks_for_sensitive_data(text)
        if asked:
            violations.append(
                Violation(
                    type="privacy",
                    category="requests_sensitive_data",
                    evidence=asked,
                    severity="high",
                )
            )
        shared = privacy.claims_sharing_sensitive_data(text)
        if shared:
            violations.append(
                Violation(
                    type="privacy",
                    category="claims_sharing_sensitive_data",
                    evidence=shared,
                    severity="high",
                )
            )
    return violations


def _tcpa(text: str, direction: str) -> list[Violation]:
    flags = (
        tcpa.detect_inbound_tcpa_risk(text)
        if direction == "inbound"
        else tcpa.find_outbound_tcpa_problems(text)
    )
    return [
        Violation(
            type="tcpa",
            category=flag.category,
            evidence=privacy.redact_sensitive(flag.matched),
            severity="high",
        )
        for flag in flags
    ]


def check_message(text: str, direction: str) -> list[Violation]:
    """Every fair-housing, privacy and TCPA violation in ``text``; empty when it is clean.

    ``direction``: ``"inbound"`` (a lead's message) or ``"outbound"`` (a bot's draft).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'inbound' or 'outbound', not {direction!r}")
    if not text or not text.strip():
        return []
    return [*_fair_housing(text, direction), *_privacy(text, direction), *_tcpa(text, direction)]
