"""`vibe=` in the pure ranking: the blend's formula, and pruning that stays exhaustive."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luna.config import RecoSettings
from luna.reco import ranking
from luna.reco.constraints import VenueConstraints
from luna.vibes.profiles import VibeMatrix
from luna.vibes.vocabulary import VIBE_INDEX, VIBE_NAMES
from tests.reco.test_ranking import own_engagement, world_snapshot, worlds


def test_blend_is_the_documented_formula():
    score, fit = np.array([0.2, 0.8]), np.array([1.0, 0.0])
    # score * ((1 - w) + w * fit)
    assert ranking.blend_vibe(score, fit, 0.5).tolist() == pytest.approx([0.2, 0.4])
    assert ranking.blend_vibe(score, fit, 0.0).tolist() == score.tolist()
    assert ranking.blend_vibe(score, fit, 1.0).tolist() == pytest.approx([0.2, 0.0])


def with_vibes(snapshot, seed: int, leading: int):
    rng = np.random.default_rng(seed)
    scores = rng.choice([0.0, 0.3, 0.7, 1.0], size=(len(snapshot), len(VIBE_NAMES)))
    rows = [(vid, scores[i].tolist(), None) for i, vid in enumerate(snapshot.ids)]
    matrix = VibeMatrix.build(snapshot.ids, snapshot.categories, 1, rows, leading=leading)
    return dataclasses.replace(snapshot, vibes=matrix)


@settings(max_examples=200, deadline=None)
@given(
    world=worlds(),
    limit=st.sampled_from([1, 2, 5]),
    asked=st.lists(st.sampled_from(VIBE_NAMES), min_size=1, max_size=3, unique=True),
    weight=st.sampled_from([0.0, 0.3, 0.5, 1.0]),
    seed=st.integers(0, 1000),
    exclude_visited=st.booleans(),
)
def test_pruned_ranking_with_vibes_is_the_exhaustive_one(
    world, limit, asked, weight, seed, exclude_visited
):
    """With tiny pruning constants (so it prunes on these small worlds), the answer with
    vibes is still the full scan's."""
    reco = RecoSettings(vibe_weight=weight)
    snapshot = with_vibes(world_snapshot(world), seed, leading=1)
    vibe = ranking.VibeAsk(tuple(asked), tuple(VIBE_INDEX[a] for a in asked), weight)
    constraints = VenueConstraints(exclude_visited=exclude_visited)
    for user in world["users"]:
        own = own_engagement(world, snapshot, user)
        full = ranking.snapshot_scores(snapshot, user["home"], own, reco, vibe=vibe)
        want = ranking.top_positions(
            full, ranking.admitted(snapshot, full, constraints, own), limit
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ranking, "PRUNE_FROM", 0)
            patch.setattr(ranking, "MOST_POPULAR", 1)
            patch.setattr(ranking, "NEAR_KM", 2.0)
            got, scores = ranking.best_positions(
                snapshot, user["home"], own, reco, constraints, limit, vibe
            )
        assert got.tolist() == want.tolist()
        assert scores.score.tolist() == full.score[want].tolist()
        assert scores.vibe.tolist() == full.vibe[want].tolist()
