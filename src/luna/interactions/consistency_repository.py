"""The SQL of `luna check` (luna.interactions.consistency) for `category_engagement`: the
totals recounted from the interactions, compared with the stored ones, and rebuilt.

The database's triggers keep the table (migration b7d2e4f19a03); nothing here runs on a
request. The popularity windows' side of the check is `popularity_repository`'s.
"""

import uuid
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session

from luna.interactions.repository import dwell_sum, positive_count
from luna.models import CategoryEngagement, Interaction, Venue


def _category_totals() -> Select[Any]:
    """(user, category, positive count, dwell) of every interaction at a venue that has a
    category: what `category_engagement` holds (the triggers of migration b7d2e4f19a03)."""
    return (
        select(
            Interaction.user_id,
            Venue.category,
            positive_count.label("positive_count"),
            dwell_sum.label("dwell_seconds"),
        )
        .join(Venue, Venue.id == Interaction.venue_id)
        .where(Venue.category.is_not(None))
        .group_by(Interaction.user_id, Venue.category)
    )


def category_engagement_from_interactions(
    session: Session,
) -> dict[tuple[uuid.UUID, str], tuple[int, int]]:
    """What `category_engagement` must hold, computed from scratch (for tests and checks)."""
    rows = session.execute(_category_totals())
    return {(uid, cat): (int(pos), int(dwell)) for uid, cat, pos, dwell in rows}


def category_engagement_differences(
    session: Session, limit: int
) -> list[tuple[uuid.UUID, str, tuple[int, int], tuple[int, int]]]:
    """Up to `limit` (user, category, stored totals, recounted totals) that differ, in key
    order; a row of zeros and no row are the same."""
    recount = _category_totals().subquery("recount")
    stored = (
        select(CategoryEngagement)
        .where((CategoryEngagement.positive_count != 0) | (CategoryEngagement.dwell_seconds != 0))
        .subquery("stored")
    )
    user_id = func.coalesce(stored.c.user_id, recount.c.user_id)
    category = func.coalesce(stored.c.category, recount.c.category)
    stored_positive = func.coalesce(stored.c.positive_count, 0)
    stored_dwell = func.coalesce(stored.c.dwell_seconds, 0)
    recount_positive = func.coalesce(recount.c.positive_count, 0)
    recount_dwell = func.coalesce(recount.c.dwell_seconds, 0)
    stmt = (
        select(user_id, category, stored_positive, stored_dwell, recount_positive, recount_dwell)
        .select_from(
            stored.join(
                recount,
                (stored.c.user_id == recount.c.user_id) & (stored.c.category == recount.c.category),
                full=True,
            )
        )
        .where((stored_positive != recount_positive) | (stored_dwell != recount_dwell))
        .order_by(user_id, category)
        .limit(limit)
    )
    return [
        (uid, cat, (int(sp), int(sd)), (int(rp), int(rd)))
        for uid, cat, sp, sd, rp, rd in session.execute(stmt)
    ]


def rebuild_category_engagement(session: Session) -> None:
    """Replaces every total with a recount of the interactions."""
    session.execute(delete(CategoryEngagement))
    session.execute(
        insert(CategoryEngagement).from_select(
            ["user_id", "category", "positive_count", "dwell_seconds"], _category_totals()
        )
    )
