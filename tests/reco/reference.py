"""A deliberately plain transcription of SPEC §3, independent of the service code.

It reads the whole world through the public API's list routes and computes every score the
slow, obvious way, with the reasons the README describes and the group strategies of
`luna.reco.group`'s docstring. The service must agree with it.
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


def popularity_buckets(counts: dict[str, int]) -> dict[str, int]:
    """Venue -> the smallest N of (1, 5, 10, 25) such that the venue is in the top N% of the
    venues with a positive interaction (rank: 1 + how many are strictly more liked); venues
    in none are absent."""
    liked = [n for n in counts.values() if n > 0]
    result = {}
    for venue_id, n in counts.items():
        if n <= 0 or len(liked) < 2:
            continue
        rank = 1 + sum(1 for other in liked if other > n)
        share = 100 * rank / len(liked)
        for bucket in (1, 5, 10, 25):
            if share <= bucket:
                result[venue_id] = bucket
                break
    return result


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def minutes(seconds: int) -> str:
    return f"{max(1, round(seconds / 60))} min"


def venue_scores(
    user: dict[str, Any], venues: list[dict[str, Any]], interactions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    counts = {v["id"]: positive_count(interactions, None, {v["id"]}) for v in venues}
    max_pop = max(counts.values(), default=0)
    buckets = popularity_buckets(counts)
    results = []
    for v in venues:
        if user["home_lat"] is None:
            dist, spatial = None, 0.0
        else:
            dist = haversine(user["home_lat"], user["home_lng"], v["lat"], v["lng"])
            spatial = math.exp(-0.3 * dist)
        liked = positive_count(interactions, user["id"], {v["id"]})
        seconds = dwell(interactions, user["id"], {v["id"]})
        preference = min(1.0, 0.5 * liked + seconds / 300)
        popularity = counts[v["id"]] / max_pop if max_pop > 0 else 0.0
        reasons = []
        if liked:
            reasons.append(f"You liked it {times(liked)}.")
        if seconds >= 60:
            reasons.append(f"You spent {minutes(seconds)} there.")
        if dist is not None:
            reasons.append(
                "It is right by your home."
                if dist < 0.1
                else f"It is {dist:.1f} km from your home."
            )
        if v["id"] in buckets:
            reasons.append(f"It is in the top {buckets[v['id']]}% by likes.")
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
                "reasons": reasons or ["It is new to you."],
                "liked": liked,
                "bucket": buckets.get(v["id"]),
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
        f, kind = e["other_user_id"], e["relationship_type"]
        direct = category = 0.0
        close = e["strength"] >= 0.75
        if kind == "friend":
            reasons = ["They are a close friend." if close else "They are your friend."]
        elif kind == "mutual":
            reasons = ["You know each other well." if close else "You know each other."]
        else:
            reasons = ["They are suggested for you."]
        if venue is not None:
            liked = positive_count(interactions, f, {venue["id"]})
            seconds = dwell(interactions, f, {venue["id"]})
            direct = min(1.0, 0.5 * liked + seconds / 300)
            if liked:
                reasons.append(f"They liked this venue {times(liked)}.")
            elif seconds >= 60:
                reasons.append(f"They spent {minutes(seconds)} here.")
            if venue["category"] is not None:
                same = {v["id"] for v in venues if v["category"] == venue["category"]}
                liked_there = positive_count(interactions, f, same)
                seconds_there = dwell(interactions, f, same)
                category = min(1.0, 0.3 * liked_there + seconds_there / 600)
                if liked_there or seconds_there:
                    words = venue["category"].replace("-", " ")
                    reasons.append(f"They like {words if words.endswith('s') else words + 's'}.")
        results.append(
            {
                "user_id": f,
                "score": 0.6 * e["strength"] + 0.25 * direct + 0.15 * category,
                "relationship_type": kind,
                "features": {"social": e["strength"], "direct": direct, "category": category},
                "reasons": reasons,
            }
        )
    results.sort(key=lambda r: (-r["score"], r["user_id"]))
    return results


def group_scores(
    members: list[dict[str, Any]],
    venues: list[dict[str, Any]],
    interactions: list[dict[str, Any]],
    strategy: str,
    limit: int,
) -> list[dict[str, Any]]:
    """Every member scores every venue as `venue_scores` does; the strategies aggregate."""
    own = {m["id"]: venue_scores(m, venues, interactions) for m in members}
    by_venue = {m["id"]: {r["venue_id"]: r for r in own[m["id"]]} for m in members}
    rows = []
    for v in venues:
        scores = [by_venue[m["id"]][v["id"]] for m in members]
        trips = [r["distance_km"] for r in scores if r["distance_km"] is not None]
        rows.append(
            {
                "venue": v,
                "scores": scores,
                "mean": sum(r["score"] for r in scores) / len(members),
                "minimum": min(r["score"] for r in scores),
                "trip": max(trips) if trips else None,
            }
        )

    def trip(row: dict[str, Any]) -> float:
        return math.inf if row["trip"] is None else row["trip"]

    by_average = sorted(rows, key=lambda r: (-r["mean"], trip(r), r["venue"]["id"]))
    if strategy == "average":
        picks = [(r, r["mean"]) for r in by_average[:limit]]
    elif strategy == "least_misery":
        ranked = sorted(rows, key=lambda r: (-r["minimum"], -r["mean"], trip(r), r["venue"]["id"]))
        picks = [(r, r["minimum"]) for r in ranked[:limit]]
    else:  # fair: greedy, each member's top K weighted by rank
        k = min(len(venues), max(10, 2 * limit))
        relevance = {
            m["id"]: {r["venue_id"]: (k - i) / (k + 1) for i, r in enumerate(own[m["id"]][:k])}
            for m in members
        }
        unserved = {m["id"]: 1.0 for m in members}
        picks = []
        while len(picks) < limit:
            chosen = {row["venue"]["id"] for row, _ in picks}

            def gain(row: dict[str, Any]) -> float:
                vid = row["venue"]["id"]
                return sum(relevance[m["id"]].get(vid, 0.0) * unserved[m["id"]] for m in members)

            left = [r for r in rows if r["venue"]["id"] not in chosen]
            if not left:
                break
            best = min(left, key=lambda r: (-gain(r), -r["mean"], trip(r), r["venue"]["id"]))
            if gain(best) <= 0:
                break
            picks.append((best, gain(best)))
            for m in members:
                unserved[m["id"]] *= 1.0 - relevance[m["id"]].get(best["venue"]["id"], 0.0)
        chosen = {row["venue"]["id"] for row, _ in picks}
        rest = [r for r in by_average if r["venue"]["id"] not in chosen]
        picks += [(r, 0.0) for r in rest[: limit - len(picks)]]

    favourite = {m["id"]: own[m["id"]][0]["venue_id"] for m in members if own[m["id"]]}
    results = []
    for row, group_score in picks:
        v = row["venue"]
        fans = [m["handle"] for m, r in zip(members, row["scores"], strict=True) if r["liked"]]
        tops = [m["handle"] for m in members if favourite.get(m["id"]) == v["id"]]
        reasons = []
        if fans and len(fans) == len(members) and len(fans) > 1:
            reasons.append("All of you liked it.")
        elif fans:
            reasons.append(f"{names(fans)} liked it.")
        if tops:
            reasons.append(f"It is the top pick for {names(tops)}.")
        if row["trip"] is not None:
            reasons.append(f"Everyone is within {row['trip']:.1f} km.")
        if len(members) > 1 and row["minimum"] >= 0.3:
            reasons.append(f"Nobody scores it below {row['minimum']:.2f}.")
        if row["scores"][0]["bucket"] is not None:
            reasons.append(f"It is in the top {row['scores'][0]['bucket']}% by likes.")
        results.append(
            {
                "venue_id": v["id"],
                "venue_name": v["name"],
                "category": v["category"],
                "group_score": group_score,
                "longest_trip_km": row["trip"],
                "members": [
                    {"user_id": m["id"], "score": r["score"], "distance_km": r["distance_km"]}
                    for m, r in zip(members, row["scores"], strict=True)
                ],
                "reasons": reasons or ["It is new to all of you."],
            }
        )
    return results


def names(handles: list[str]) -> str:
    shown = [f"@{h}" for h in handles]
    if len(shown) <= 2:
        return " and ".join(shown)
    if len(shown) == 3:
        return f"{shown[0]}, {shown[1]} and {shown[2]}"
    return f"{', '.join(shown[:3])} and {len(shown) - 3} more"
