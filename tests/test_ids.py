"""Time-ordered ids for high-volume rows (luna.models.base.uuid7)."""

import time
import uuid

from luna.models.base import uuid7


def test_uuid7_is_time_ordered_and_well_formed():
    ids = [uuid7() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    # The first 48 bits are the creation time in milliseconds: never decreasing.
    stamps = [i.int >> 80 for i in ids]
    assert stamps == sorted(stamps)
    assert abs(stamps[-1] / 1000 - time.time()) < 5


def test_new_interactions_get_time_ordered_ids(client):
    from tests.factories import create_user, create_venue, interact

    user, venue = create_user(client), create_venue(client)
    first = interact(client, user["id"], venue["id"])
    second = interact(client, user["id"], venue["id"])
    assert uuid.UUID(first["id"]).version == 7
    assert uuid.UUID(first["id"]) < uuid.UUID(second["id"]) or (
        uuid.UUID(first["id"]).int >> 80 == uuid.UUID(second["id"]).int >> 80
    )
