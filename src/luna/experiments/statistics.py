"""The statistics of the results, with scipy's distributions and tests: per-arm Wilson
intervals, the two-proportion z-test against the control (the unit is the person), the
sample-ratio-mismatch chi-square test and the sign test of interleaving."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

ALPHA = 0.05


@dataclass(frozen=True)
class Difference:
    abs_diff: float | None
    ci95: tuple[float, float] | None
    relative_lift: float | None
    p_value: float | None


def proportion_ci(converted: int, users: int) -> tuple[float, float] | None:
    """The Wilson score interval (good near 0 and 1, unlike the normal one)."""
    if users == 0:
        return None
    interval = stats.binomtest(converted, users).proportion_ci(1 - ALPHA, method="wilson")
    return (float(interval.low), float(interval.high))


def compare(control_converted: int, control_users: int, converted: int, users: int) -> Difference:
    """The arm against the control: the difference of rates with its unpooled normal
    interval, the relative lift, and the pooled two-proportion z-test's two-sided p-value."""
    if control_users == 0 or users == 0:
        return Difference(None, None, None, None)
    p0, p1 = control_converted / control_users, converted / users
    diff = p1 - p0
    z = float(stats.norm.ppf(1 - ALPHA / 2))
    se = math.sqrt(p0 * (1 - p0) / control_users + p1 * (1 - p1) / users)
    pooled = (control_converted + converted) / (control_users + users)
    pooled_se = math.sqrt(pooled * (1 - pooled) * (1 / control_users + 1 / users))
    p_value = 1.0 if pooled_se == 0 else float(2 * stats.norm.sf(abs(diff) / pooled_se))
    lift = diff / p0 if p0 > 0 else None
    return Difference(diff, (diff - z * se, diff + z * se), lift, p_value)


def srm_p_value(users: Sequence[int], weights: Sequence[float]) -> float | None:
    """Sample ratio mismatch: the chi-square goodness-of-fit p-value of the people per arm
    against the arms' weights (tiny: the assignment or the logging is broken)."""
    total = sum(users)
    if total == 0:
        return None
    weight_sum = sum(weights)
    expected = [total * weight / weight_sum for weight in weights]
    return float(stats.chisquare(list(users), expected).pvalue)


def sign_test(first_wins: int, second_wins: int) -> float | None:
    """Two-sided sign test: are wins split other than evenly?"""
    if first_wins + second_wins == 0:
        return None
    return float(stats.binomtest(second_wins, first_wins + second_wins, 0.5).pvalue)
