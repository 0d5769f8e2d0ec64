"""Small logs for the learning tests: hand-made ones, and a slice of the real check-ins."""

from pathlib import Path

import numpy as np
import pytest

from luna.learning.data import DAY, DEFAULT_CHECKINS, CheckinLog, build_log

# 2012-06-04, a Monday, 00:00 UTC
MONDAY = 1_338_768_000


def make_log(events: list[tuple[int, int, int]], places: dict) -> CheckinLog:
    """events: (user key, venue key, utc seconds); local time = UTC."""
    users, venues, utc = (np.array(column) for column in zip(*events, strict=True))
    return build_log(users, venues, utc, utc.copy(), places)


@pytest.fixture(scope="session")
def checkins_file() -> Path:
    """The repository's copy (data/): part of every clone, so these tests never skip."""
    assert DEFAULT_CHECKINS.is_file(), f"{DEFAULT_CHECKINS} is missing: data/ is in the repository"
    return DEFAULT_CHECKINS


__all__ = ["DAY", "MONDAY", "make_log"]
