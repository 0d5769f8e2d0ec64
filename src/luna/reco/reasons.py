"""Short, human-readable reasons for a recommendation, from features already computed.

Pure: no session, no queries. Each function takes the numbers the scorer used and says the
ones worth saying, most telling first. Each reason is a sentence ("You liked it twice.",
"They are a close friend."), so a client shows it as it is.
"""

import math
from collections.abc import Sequence

import numpy as np

from luna.reco.heuristic import Engagement

POPULARITY_BUCKETS = (1, 5, 10, 25)  # "It is in the top N% by likes."


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def minutes(seconds: int) -> str:
    return f"{max(1, round(seconds / 60))} min"


def plural(category: str) -> str:
    words = category.replace("-", " ")
    return words if words.endswith("s") else f"{words}s"


def popularity_bucket_array(positive_counts: np.ndarray) -> np.ndarray:
    """Per venue of a catalog, the smallest N of POPULARITY_BUCKETS such that the venue is in
    the top N% of the venues with a positive interaction (by their count; ties share the
    better rank); 0 for a venue in none. Vectorised: every index reload computes it while
    holding the GIL."""
    ascending = np.sort(positive_counts[positive_counts > 0])
    total = len(ascending)
    if total < 2:
        return np.zeros(len(positive_counts), dtype=np.int16)
    # Rank = 1 + number of venues strictly more liked.
    rank = 1 + total - np.searchsorted(ascending, positive_counts, side="right")
    share = 100 * rank / total
    limits = np.array(POPULARITY_BUCKETS)
    at = np.searchsorted(limits, share, side="left")  # the first bucket with share <= it
    buckets = np.where(at < len(limits), limits[np.minimum(at, len(limits) - 1)], 0)
    return np.where(positive_counts > 0, buckets, 0).astype(np.int16)


def distance_reason(distance_km: float, origin: str) -> str:
    where = "your home" if origin == "home" else "you"
    if distance_km < 0.1:
        return f"It is right by {where}."
    return f"It is {distance_km:.1f} km from {where}."


def venue_reasons(
    distance_km: float | None,
    origin: str,
    own: Engagement,
    popularity_bucket: int | None,
) -> list[str]:
    """Why one person might like a venue. `origin` is "home" or "near" (a given point)."""
    reasons = []
    if own.positive_count:
        reasons.append(f"You liked it {times(own.positive_count)}.")
    if own.dwell_seconds >= 60:
        reasons.append(f"You spent {minutes(own.dwell_seconds)} there.")
    if distance_km is not None:
        reasons.append(distance_reason(distance_km, origin))
    if popularity_bucket is not None:
        reasons.append(f"It is in the top {popularity_bucket}% by likes.")
    if not reasons:
        reasons.append("It is new to you.")
    return reasons


# A venue scoring at least this for a vibe "is" that vibe in its reason.
VIBE_MATCH = 0.5


def vibe_reason(vibe: str, score: float, peak: str | None) -> str:
    """Which asked vibe a venue fits (its best), and when it is busiest: "It is lively on
    Friday nights (vibe 0.82)."."""
    when = f" on {peak}" if peak else ""
    if score >= VIBE_MATCH:
        return f"It is {vibe}{when} (vibe {score:.2f})."
    return f"It is only a little {vibe} (vibe {score:.2f})."


def person_reasons(
    relationship_type: str,
    strength: float,
    common_friends: int,
    shared_venues: int,
    at_venue: Engagement,
    in_category: Engagement,
    category: str | None,
) -> list[str]:
    """Why someone might join. `relationship_type` "suggested" with no edge strength for
    people found beyond direct edges (their counts say why)."""
    reasons = []
    if common_friends:
        reasons.append(
            f"You have {common_friends} friend{'s' if common_friends > 1 else ''} in common."
        )
    if shared_venues:
        reasons.append(
            f"You have {shared_venues} venue{'s' if shared_venues > 1 else ''} in common."
        )
    if not common_friends and not shared_venues:
        reasons.append(relationship_reason(relationship_type, strength))
    if at_venue.positive_count:
        reasons.append(f"They liked this venue {times(at_venue.positive_count)}.")
    elif at_venue.dwell_seconds >= 60:
        reasons.append(f"They spent {minutes(at_venue.dwell_seconds)} here.")
    if category is not None and (in_category.positive_count or in_category.dwell_seconds):
        reasons.append(f"They like {plural(category)}.")
    return reasons


def relationship_reason(relationship_type: str, strength: float) -> str:
    """The edge itself, when nothing more telling is known; "close" from strength 0.75."""
    close = strength >= 0.75
    if relationship_type == "friend":
        return "They are a close friend." if close else "They are your friend."
    if relationship_type == "mutual":
        return "You know each other well." if close else "You know each other."
    return "They are suggested for you."


def group_reasons(
    longest_trip_km: float | None,
    member_engagement: Sequence[tuple[str, Engagement]],
    favourite_of: Sequence[str],
    lowest_score: float,
    popularity_bucket: int | None,
) -> list[str]:
    """Why a venue suits a group: who likes it, whose favourite it is, how far anyone
    travels, and that nobody is left unhappy. Names are handles."""
    reasons = []
    fans = [handle for handle, e in member_engagement if e.positive_count]
    if fans and len(fans) == len(member_engagement) and len(fans) > 1:
        reasons.append("All of you liked it.")
    elif fans:
        reasons.append(f"{_names(fans)} liked it.")
    if favourite_of:
        reasons.append(f"It is the top pick for {_names(list(favourite_of))}.")
    if longest_trip_km is not None and math.isfinite(longest_trip_km):
        reasons.append(f"Everyone is within {longest_trip_km:.1f} km.")
    if len(member_engagement) > 1 and lowest_score >= 0.3:
        reasons.append(f"Nobody scores it below {lowest_score:.2f}.")
    if popularity_bucket is not None:
        reasons.append(f"It is in the top {popularity_bucket}% by likes.")
    if not reasons:
        reasons.append("It is new to all of you.")
    return reasons


def _names(handles: list[str]) -> str:
    shown = [f"@{h}" for h in handles[:3]]
    if len(handles) > 3:
        return f"{', '.join(shown)} and {len(handles) - 3} more"
    return " and ".join(shown) if len(shown) <= 2 else f"{shown[0]}, {shown[1]} and {shown[2]}"
