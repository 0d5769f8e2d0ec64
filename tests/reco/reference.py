"""A deliberately plain transcription of SPEC §3, independent of the service code.

It reads the whole world through the public API's list routes and computes every score the
slow, obvious way. The service must agree with it.
"""

import math
from typing import Any

POSITIVE = {"like", "interest"}


def haversine(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def positive_count(
    interactions: list[dict[str, Any]], user_id: str | None, venue_ids: set[str]
) -> int:
    return sum(
        1
        for i in interactions
        if i["interaction_type"] in POSITIVE
        and i["venue_id"] in venue_ids
        and (user_id is None or i["user_id"] == user_id)
    )


def dwell(interactions: list[dict[str, Any]], user_id: str, venue_ids: set[str]) -> int:
    return sum(
        i["dwell_time_seconds"]
        for i in interactions
        if i["user_id"] == user_id and i["venue_id"] in venue_ids
    )


def venue_scores(
    user: dict[str, Any], venues: list[dict[str, Any]], interactions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    max_pop = max((positive_count(interactions, None, {v["id"]}) for v in venues), default=0)
    results = []
    for v in venues:
        if user["home_lat"] is None:
            dist, spatial = None, 0.0
        else:
            dist = haversine(user["home_lat"], user["home_lng"], v["lat"], v["lng"])
            spatial = math.exp(-0.3 * dist)
        preference = min(
            1.0,
            0.5 * positive_count(interactions, user["id"], {v["id"]})
            + dwell(interactions, user["id"], {v["id"]}) / 300,
        )
        popularity = positive_count(interactions, None, {v["id"]}) / max_pop if max_pop > 0 else 0.0
        results.append(
            {
                "venue_id": v["id"],
                "score": 0.4 * spatial + 0.4 * preference + 0.2 * popularity,
                "distance_km": dist,
                "features": {
                    "spatial": spatial,
                    "preference": preference,
                    "popularity": popularity,
                },
            }
        )
    results.sort(
        key=lambda r: (
            -r["score"],
            math.inf if r["distance_km"] is None else r["distance_km"],
            r["venue_id"],
        )
    )
    return results


def people_scores(
    user_id: str,
    edges: list[dict[str, Any]],
    venue: dict[str, Any] | None,
    venues: list[dict[str, Any]],
    interactions: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    results = []
    for e in edges:
        if e["user_id"] != user_id:
            continue
        f = e["other_user_id"]
        direct = category = 0.0
        if venue is not None:
            direct = min(
                1.0,
                0.5 * positive_count(interactions, f, {venue["id"]})
                + dwell(interactions, f, {venue["id"]}) / 300,
            )
            if venue["category"] is not None:
                same = {v["id"] for v in venues if v["category"] == venue["category"]}
                category = min(
                    1.0,
                    0.3 * positive_count(interactions, f, same)
                    + dwell(interactions, f, same) / 600,
                )
        results.append(
            {
                "user_id": f,
                "score": 0.6 * e["strength"] + 0.25 * direct + 0.15 * category,
                "relationship_type": e["relationship_type"],
                "features": {"social": e["strength"], "direct": direct, "category": category},
            }
        )
    results.sort(key=lambda r: (-r["score"], r["user_id"]))
    return results
