"""`luna train`: the check-in log read from Luna's database (users, venues, interactions).

Every venue in the database is in the catalog (the venue table is what Luna recommends
from). Positive interactions (like, interest) are the visits the ranker learns from; views
are not visits. Homes are the users' stored homes. Local time, for the time-of-week
features, is New York's (Luna's city).
"""

from datetime import UTC
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from luna.learning.data import CheckinLog, build_log
from luna.models import Interaction, User, Venue
from luna.models.enums import POSITIVE_INTERACTION_TYPES

LOCAL_TIME_ZONE = ZoneInfo("America/New_York")
UNCATEGORISED = "uncategorised"


def load_database(engine: Engine) -> tuple[CheckinLog, np.ndarray]:
    """The positive interactions as a log, and the homes (n_users, 2) by user code."""
    with Session(engine) as session:
        venues = session.execute(select(Venue.id, Venue.lat, Venue.lng, Venue.category)).all()
        users = session.execute(select(User.id, User.home_lat, User.home_lng)).all()
        rows = session.execute(
            select(Interaction.user_id, Interaction.venue_id, Interaction.occurred_at)
            .where(Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES))
            .order_by(Interaction.occurred_at)
        ).all()
    places = {str(v.id): (v.lat, v.lng, v.category or UNCATEGORISED) for v in venues}
    utc, local = [], []
    for row in rows:
        when = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(tzinfo=UTC)
        seconds = int(when.timestamp())
        utc.append(seconds)
        offset = when.astimezone(LOCAL_TIME_ZONE).utcoffset()
        local.append(seconds + int(offset.total_seconds()) if offset else seconds)
    log = build_log(
        np.array([str(r.user_id) for r in rows], dtype=object),
        np.array([str(r.venue_id) for r in rows], dtype=object),
        np.array(utc, dtype=np.int64),
        np.array(local, dtype=np.int64),
        places,
    )
    homes = np.full((log.n_users, 2), np.nan)
    code = {key: i for i, key in enumerate(log.user_keys.tolist())}
    for user in users:
        if user.home_lat is not None and str(user.id) in code:
            homes[code[str(user.id)]] = (user.home_lat, user.home_lng)
    return log, homes
