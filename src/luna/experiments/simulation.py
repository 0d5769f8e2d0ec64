"""A simulation harness for experiments on synthetic people: how many people an A/B test
and team-draft interleaving need to tell two rankers apart. It runs the production pieces
(`assignment.team_draft`, `statistics.compare`, `statistics.sign_test`), so the tests and
`scripts/interleaving_power.py` (the plot in docs/) check what serves requests.

The world: each person has a catalog of `CATALOG` venues with their own appeal (the chance
they like a venue once they look at it). Ranker "a" orders venues by appeal seen through a
little noise, ranker "b" through more noise (a worse ranker). A person looks at position k
of a list with probability 1 / (k + 1) (position bias) and likes what they look at with its
appeal. A/B: half the people see a's list, half b's; a person converts with one like.
Interleaving: everyone sees one team-draft list; each like credits the ranker that put it
there; a person with more likes for one ranker is a win for it; a sign test decides.
"""

import random
from dataclasses import dataclass

import numpy as np

from luna.experiments import statistics
from luna.experiments.assignment import team_draft

CATALOG = 20
LIST_LENGTH = 5
ALPHA = 0.05


@dataclass(frozen=True)
class World:
    appeal_scale: float = 0.12  # mean chance of liking a looked-at venue
    noise_a: float = 0.3  # the better ranker's noise (in units of appeal's spread)
    noise_b: float = 1.0


def _people(
    rng: np.random.Generator, count: int, world: World
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`count` people at once: their appeal per venue and both rankers' lists."""
    shape = (count, CATALOG)
    appeal = np.clip(world.appeal_scale * 8 * rng.beta(2, 2, shape) * rng.beta(1, 3, shape), 0, 1)
    spread = appeal.std(axis=1, keepdims=True) + 1e-12
    ranked_a = np.argsort(-(appeal + rng.normal(0, 1, shape) * world.noise_a * spread), axis=1)
    ranked_b = np.argsort(-(appeal + rng.normal(0, 1, shape) * world.noise_b * spread), axis=1)
    return appeal, ranked_a[:, :LIST_LENGTH], ranked_b[:, :LIST_LENGTH]


_LOOK = np.array([1 / (k + 1) for k in range(LIST_LENGTH)])


def _likes(rng: np.random.Generator, appeal: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Which positions of each person's `shown` list they liked (people by positions)."""
    looked = rng.random(shown.shape) < _LOOK
    return looked & (rng.random(shown.shape) < np.take_along_axis(appeal, shown, axis=1))


def ab_detects(rng: np.random.Generator, people: int, world: World) -> bool:
    """One A/B test of `people` (half per arm): is b's lower rate detected (p < 0.05)?"""
    users = [people // 2, people - people // 2]
    converted = []
    for arm in (0, 1):
        appeal, ranked_a, ranked_b = _people(rng, users[arm], world)
        converted.append(int(_likes(rng, appeal, ranked_a if arm == 0 else ranked_b).any(1).sum()))
    diff = statistics.compare(converted[0], users[0], converted[1], users[1])
    return diff.p_value is not None and diff.p_value < ALPHA and (diff.abs_diff or 0) < 0


def interleaving_detects(rng: np.random.Generator, people: int, world: World) -> bool:
    """One interleaving experiment of `people`: is a preferred (sign test p < 0.05)?"""
    coin = random.Random(int(rng.integers(2**32)))
    appeal, ranked_a, ranked_b = _people(rng, people, world)
    shown = np.empty((people, LIST_LENGTH), dtype=np.int64)
    teams = np.empty((people, LIST_LENGTH), dtype=np.int64)
    for person in range(people):
        mixed = team_draft(ranked_a[person].tolist(), ranked_b[person].tolist(), LIST_LENGTH, coin)
        shown[person] = [item for item, _team in mixed]
        teams[person] = [team for _item, team in mixed]
    liked = _likes(rng, appeal, shown)
    credits_a = (liked & (teams == 0)).sum(axis=1)
    credits_b = (liked & (teams == 1)).sum(axis=1)
    wins_a, wins_b = int((credits_a > credits_b).sum()), int((credits_b > credits_a).sum())
    p_value = statistics.sign_test(wins_a, wins_b)
    return p_value is not None and p_value < ALPHA and wins_a > wins_b


def power(method: str, people: int, repetitions: int, seed: int, world: World = World()) -> float:
    """The share of `repetitions` simulated experiments that detect the better ranker."""
    rng = np.random.default_rng(seed)
    detects = ab_detects if method == "ab" else interleaving_detects
    return sum(detects(rng, people, world) for _ in range(repetitions)) / repetitions
