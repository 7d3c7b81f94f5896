"""Precision and recall of ``check_message`` on a labelled table of messages.

The table (``tests/compliance/data/labelled_messages.csv``) holds messages with the
violation types they carry (none for the look-alikes). A message counts as a true positive
for a type when the check finds that type and the label has it. Used by the test that keeps
both figures at or above 0.95 and by ``benchmarks/compliance_check.py``, which prints them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from compliance.checks import VIOLATION_TYPES, check_message

TABLE = Path(__file__).resolve().parent.parent / "tests/compliance/data/labelled_messages.csv"


@dataclass(frozen=True)
class LabelledMessage:
    id: int
    # "dev": written before the rules grew; "holdout", "holdout2": written later, each
    # measured once before the rules were changed for it (docs/compliance.md).
    batch: str
    direction: str
    language: str
    expected: frozenset[str]
    categories: str
    text: str


@dataclass(frozen=True)
class Score:
    """One type's counts over the table."""

    type: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 1.0


def load_table(path: Path = TABLE) -> list[LabelledMessage]:
    """The labelled messages of ``path`` (CSV: id, batch, direction, language, types, categories, text)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            LabelledMessage(
                id=int(row["id"]),
                batch=row["batch"],
                direction=row["direction"],
                language=row["language"],
                expected=frozenset(t for t in row["expected_types"].split(";") if t),
                categories=row["expected_categories"],
                text=row["text"],
            )
            for row in csv.DictReader(handle)
        ]


def found_types(message: LabelledMessage) -> frozenset[str]:
    """The violation types ``check_message`` finds in a labelled message."""
    return frozenset(v.type for v in check_message(message.text, message.direction))


def score_table(messages: list[LabelledMessage]) -> dict[str, Score]:
    """Per type: true positives, false positives and false negatives over ``messages``."""
    counts = {t: [0, 0, 0] for t in VIOLATION_TYPES}
    for message in messages:
        found = found_types(message)
        for violation_type in VIOLATION_TYPES:
            expected, got = violation_type in message.expected, violation_type in found
            if expected and got:
                counts[violation_type][0] += 1
            elif got:
                counts[violation_type][1] += 1
            elif expected:
                counts[violation_type][2] += 1
    return {t: Score(t, *c) for t, c in counts.items()}


def mistakes(messages: list[LabelledMessage]) -> list[tuple[LabelledMessage, frozenset[str]]]:
    """The messages whose found types differ from their label, with what was found."""
    return [(m, found) for m in messages if (found := found_types(m)) != m.expected]
