"""On PostgreSQL the recommenders read a person's interactions from the index alone
(migrations 8b2f6d0e4a15 and 4d7c2a9e1f36): no heap page per interaction.

The planner's choice depends on table sizes, so these tests take the alternatives that would
hide a missing column (sequential and bitmap scans) off the table: what is left is an index
scan that visits the heap, or an index-only scan, which only a covering index allows.
"""

import uuid

import pytest
from sqlalchemy.dialects import postgresql

from luna.interactions.repository import _HOME_AND_ENGAGEMENT
from luna.reco.learned import _PERSON
from tests.factories import create_user, create_venue, interact


@pytest.mark.parametrize(
    "statement",
    [_HOME_AND_ENGAGEMENT, _PERSON],
    ids=["heuristic engagement", "learned history"],
)
def test_a_persons_interactions_are_read_from_the_index_alone(client, engine, backend, statement):
    if backend == "sqlite":
        pytest.skip("INCLUDE columns are PostgreSQL's")
    user = create_user(client, home_lat=40.0, home_lng=-74.0)
    for _ in range(3):
        venue = create_venue(client)
        interact(client, user["id"], venue["id"], "like")
    bound = statement.params(user_id=uuid.UUID(user["id"]))
    sql = bound.compile(
        dialect=postgresql.psycopg.dialect(), compile_kwargs={"literal_binds": True}
    )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM interactions")  # sets the visibility map, as an import
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_bitmapscan = off")
        plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
        conn.exec_driver_sql("RESET ALL")
    assert "Index Only Scan using ix_interactions_user_id_venue_id on interactions" in plan, plan
