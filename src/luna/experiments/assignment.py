"""Who is in which arm, and team-draft interleaving: pure functions, the same in every
process and after restarts."""

import hashlib
import random
import uuid
from bisect import bisect_right
from collections.abc import Hashable, Sequence
from itertools import accumulate
from typing import TypeVar

T = TypeVar("T", bound=Hashable)

# What an interleaved experiment's people are "in" (every one of them sees both arms).
INTERLEAVED = "interleaved"


def unit_interval(key: str, user_id: uuid.UUID) -> float:
    """A uniform number in [0, 1) from the experiment's key and the person: SHA-256, so it
    does not depend on the process (Python's hash() is salted per process), and two
    experiments' assignments are independent."""
    digest = hashlib.sha256(f"{key}\x00{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def cumulative_shares(weights: Sequence[float]) -> tuple[float, ...]:
    total = sum(weights)
    return tuple(value / total for value in accumulate(weights))


def arm_index(key: str, user_id: uuid.UUID, shares: Sequence[float]) -> int:
    """The arm whose share of [0, 1) holds the person's number (`shares`: cumulative_shares)."""
    return min(bisect_right(shares, unit_interval(key, user_id)), len(shares) - 1)


def team_draft(
    first: Sequence[T], second: Sequence[T], limit: int, rng: random.Random
) -> list[tuple[T, int]]:
    """Team-draft interleaving (Radlinski, Kurup and Joachims, CIKM 2008): the team with fewer
    picks (a coin toss when even) adds its best item not yet in the list. Answers
    (item, team) pairs, team 0 for `first`, 1 for `second`."""
    result: list[tuple[T, int]] = []
    taken: set[T] = set()
    rankings = (first, second)
    cursors = [0, 0]
    picks = [0, 0]
    while len(result) < limit:
        available = [
            team
            for team in (0, 1)
            if any(item not in taken for item in rankings[team][cursors[team] :])
        ]
        if not available:
            break
        if len(available) == 1:
            team = available[0]
        elif picks[0] != picks[1]:
            team = 0 if picks[0] < picks[1] else 1
        else:
            team = rng.randrange(2)
        ranking = rankings[team]
        while ranking[cursors[team]] in taken:
            cursors[team] += 1
        item = ranking[cursors[team]]
        taken.add(item)
        result.append((item, team))
        picks[team] += 1
    return result
