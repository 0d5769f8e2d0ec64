import numpy as np
import pytest

from luna.learning.metrics import MetricAccumulator, hit_at, ndcg_at, recall_at, top_k


def test_recall_counts_hits_over_all_relevant():
    assert recall_at([5, 1, 7, 3], {1, 3, 9}, 2) == pytest.approx(1 / 3)
    assert recall_at([5, 1, 7, 3], {1, 3, 9}, 4) == pytest.approx(2 / 3)


def test_ndcg_by_hand():
    # hits at ranks 2 and 4 (positions 1 and 3); ideal: two hits at ranks 1 and 2
    dcg = 1 / np.log2(3) + 1 / np.log2(5)
    ideal = 1 / np.log2(2) + 1 / np.log2(3)
    assert ndcg_at([5, 1, 7, 3], {1, 3}, 4) == pytest.approx(dcg / ideal)
    assert ndcg_at([1, 3, 5], {1, 3}, 3) == pytest.approx(1.0)
    # the ideal is capped at k: three relevant, k = 1, first is a hit
    assert ndcg_at([1, 2], {1, 2, 3}, 1) == pytest.approx(1.0)


def test_hit_rate():
    assert hit_at([4, 5], {5}, 2) == 1.0
    assert hit_at([4, 5], {5}, 1) == 0.0


def test_top_k_orders_ties_by_position_and_leaves_out_excluded():
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9])
    assert top_k(scores, 3).tolist() == [1, 4, 0]
    assert top_k(scores, 3, exclude=np.array([1, 4])).tolist() == [0, 2, 3]


def test_accumulator_averages_people_and_measures_coverage():
    acc = MetricAccumulator(catalog_size=10, ks=(2,))
    acc.add(np.array([0, 1]), {0})  # hit at 1
    acc.add(np.array([0, 2]), {5})  # miss
    acc.add(np.array([3, 4]), set())  # no truth: not counted
    result = acc.result()
    assert result["people"] == 2
    assert result["hit@2"] == pytest.approx(0.5)
    assert result["recall@2"] == pytest.approx(0.5)
    assert result["ndcg@2"] == pytest.approx(0.5)
    assert result["coverage@2"] == pytest.approx(3 / 10)
