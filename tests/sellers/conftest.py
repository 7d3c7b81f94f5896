from datetime import UTC, datetime

import pytest
import time_machine

from tests.sellers.factories import TODAY


@pytest.fixture
def on_today():
    """The clock stopped at noon UTC on TODAY, the day the factories date their sales from."""
    with time_machine.travel(
        datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC), tick=False
    ):
        yield
