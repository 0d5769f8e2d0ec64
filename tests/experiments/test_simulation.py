"""The statistics checked by simulation (seeded, fast): on synthetic traffic where the truth
is known, the results' tests keep their false-positive rate, detect a real lift with the
power theory promises, and flag a skewed split."""

import numpy as np
import pytest

from luna.experiments import statistics

ALPHA = 0.05


def simulate(rng, n_experiments, users_per_arm, control_rate, treatment_rate):
    """Per experiment: (control converted, treatment converted), people as Bernoulli trials."""
    control = rng.binomial(users_per_arm, control_rate, n_experiments)
    treatment = rng.binomial(users_per_arm, treatment_rate, n_experiments)
    return [
        statistics.compare(int(c), users_per_arm, int(t), users_per_arm)
        for c, t in zip(control, treatment, strict=True)
    ]


def test_a_a_false_positive_rate_is_near_alpha():
    rng = np.random.default_rng(20261206)
    diffs = simulate(rng, 1000, 2000, 0.10, 0.10)
    false_positives = sum(d.p_value < ALPHA for d in diffs) / len(diffs)
    assert 0.03 <= false_positives <= 0.07, false_positives
    # and the difference's 95% interval holds the true 0 about 95% of the time
    coverage = sum(d.ci95[0] <= 0 <= d.ci95[1] for d in diffs) / len(diffs)
    assert 0.93 <= coverage <= 0.97, coverage


def test_a_20_percent_lift_on_a_10_percent_base_is_detected():
    """5,000 people per arm: about 89% power in theory; at least 80% in the simulation."""
    rng = np.random.default_rng(7)
    diffs = simulate(rng, 1000, 5000, 0.10, 0.12)
    detected = sum(d.p_value < ALPHA and d.abs_diff > 0 for d in diffs) / len(diffs)
    assert detected >= 0.80, detected
    lifts = [d.relative_lift for d in diffs]
    assert float(np.mean(lifts)) == pytest.approx(0.20, abs=0.02)


def test_a_52_48_split_of_20000_people_is_a_sample_ratio_mismatch():
    assert statistics.srm_p_value([10_400, 9_600], [1, 1]) < 0.001
    assert statistics.srm_p_value([10_050, 9_950], [1, 1]) > 0.05  # chance-sized: no alarm
    assert statistics.srm_p_value([5_000, 15_000], [1, 3]) == pytest.approx(1.0)


def test_srm_false_alarms_are_rare_under_the_weights():
    rng = np.random.default_rng(11)
    alarms = 0
    for _ in range(500):
        first = int(rng.binomial(20_000, 0.25))
        alarms += statistics.srm_p_value([first, 20_000 - first], [1, 3]) < 0.001
    assert alarms <= 3


def test_wilson_interval_covers_the_true_rate():
    rng = np.random.default_rng(3)
    converted = rng.binomial(400, 0.1, 500)
    covered = 0
    for x in converted:
        interval = statistics.proportion_ci(int(x), 400)
        assert interval is not None
        covered += interval[0] <= 0.1 <= interval[1]
    assert 0.92 <= covered / 500 <= 0.98
