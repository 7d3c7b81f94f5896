"""The labelled table of messages through check_message: precision and recall per type."""

import pytest

from compliance.checks import VIOLATION_TYPES
from compliance.evaluation import load_table, mistakes, score_table

TABLE = load_table()


def test_the_table_has_enough_of_every_kind_of_message():
    assert len(TABLE) >= 100
    for direction in ("inbound", "outbound"):
        for language in ("en", "es"):
            rows = [m for m in TABLE if m.direction == direction and m.language == language]
            assert any(m.expected for m in rows), (direction, language)
            assert any(not m.expected for m in rows), (direction, language)
    for violation_type in VIOLATION_TYPES:
        assert sum(violation_type in m.expected for m in TABLE) >= 10, violation_type


@pytest.mark.parametrize("violation_type", VIOLATION_TYPES)
def test_precision_and_recall_stay_at_or_above_095(violation_type):
    score = score_table(TABLE)[violation_type]
    wrong = [
        (m.id, m.text, sorted(found))
        for m, found in mistakes(TABLE)
        if (violation_type in found) != (violation_type in m.expected)
    ]

    assert score.precision >= 0.95, wrong
    assert score.recall >= 0.95, wrong
