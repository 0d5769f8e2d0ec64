"""luna.clock: the service's now, frozen by LUNA_CLOCK."""

import time
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from luna.clock import now_seconds
from luna.config import Settings


def test_luna_clock_is_an_aware_time_unset_by_default(monkeypatch):
    monkeypatch.delenv("LUNA_CLOCK", raising=False)
    assert Settings().luna_clock is None
    monkeypatch.setenv("LUNA_CLOCK", "2012-12-16T00:00:00-05:00")
    frozen = Settings().luna_clock
    assert frozen == datetime(2012, 12, 16, 5, tzinfo=UTC)
    assert now_seconds(frozen) == 1_355_634_000
    monkeypatch.setenv("LUNA_CLOCK", "2012-12-16T00:00:00")  # no offset
    with pytest.raises(ValidationError, match="timezone"):
        Settings()


def test_without_luna_clock_now_is_the_wall_clock():
    before = int(time.time())
    assert before <= now_seconds(None) <= int(time.time())
