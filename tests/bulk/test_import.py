"""`luna import DIR` (SPEC §4, §5): file handling, upserts, validation with line numbers,
one transaction per file, what the API sees afterwards, and the CLI end to end.

Runs on both backends (the `engine` and `client` fixtures share one database).
"""

import gzip
import io
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from rich.console import Console
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from luna.bulk import BulkImportError, formats, import_directory
from luna.bulk.store import Staging
from luna.cli import app as cli_app
from luna.config import get_settings
from luna.interactions.schemas import BatchItem
from luna.social.schemas import EdgeUpsert
from luna.users.schemas import UserCreate
from luna.venues.schemas import VenueCreate
from tests.factories import create_user, list_all

ALICE = "a11ce000-0000-4000-8000-000000000001"
BOB = "b0b00000-0000-4000-8000-000000000002"
CAROL = "ca201000-0000-4000-8000-000000000003"
BAR = "ba200000-0000-4000-8000-00000000000a"
CAFE = "cafe0000-0000-4000-8000-00000000000b"
NOBODY = "00000000-0000-4000-8000-00000000dead"

USERS_HEADER = "id,handle,name,age,home_lat,home_lng"
VENUES_HEADER = "id,name,description,category,lat,lng,price_level,rating"
EDGES_HEADER = "user_id,other_user_id,relationship_type,strength"
INTERACTIONS_HEADER = "user_id,venue_id,interaction_type,dwell_time_seconds,occurred_at"
HEADERS = {
    "users": USERS_HEADER,
    "venues": VENUES_HEADER,
    "social_edges": EDGES_HEADER,
    "interactions": INTERACTIONS_HEADER,
}

USERS = [
    f"{ALICE},alice,Alice Liddell,30,40.7300,-73.9900",
    f"{BOB},bob,Bob,,,",
    f"{CAROL},Carol,Carol C,45,40.7400,-73.9800",
]
VENUES = [
    f'{BAR},The Bar,"Dark, loud; ""famous""",Bar,40.7300,-73.9900,2,4.5',
    f"{CAFE},Cafe Uno,,,40.7500,-73.9700,,",
]
EDGES = [
    f"{ALICE},{BOB},friend,0.8",
    f"{ALICE},{CAROL},suggested,0.3",
    f"{BOB},{ALICE},mutual,1",
]
INTERACTIONS = [
    f"{ALICE},{BAR},like,120,2025-05-01T20:00:00",
    f"{ALICE},{CAFE},view,,2025-05-02T09:30:00+02:00",
    f"{BOB},{BAR},interest,30,",
]


def write(folder: Path, stem: str, *rows: str, header: str | None = None, gz: bool = False) -> Path:
    """A bulk file: the header line (the stem's by default), then `rows`, one per line."""
    content = "\n".join([HEADERS[stem] if header is None else header, *rows]) + "\n"
    if gz:
        path = folder / f"{stem}.csv.gz"
        path.write_bytes(gzip.compress(content.encode()))
    else:
        path = folder / f"{stem}.csv"
        path.write_text(content, encoding="utf-8")
    return path


def write_all(folder: Path, gz: bool = False) -> None:
    write(folder, "users", *USERS, gz=gz)
    write(folder, "venues", *VENUES, gz=gz)
    write(folder, "social_edges", *EDGES, gz=gz)
    write(folder, "interactions", *INTERACTIONS, gz=gz)


def run(engine: Engine, folder: Path) -> dict[str, int]:
    return import_directory(engine, folder, Console(file=io.StringIO()))


def failure(engine: Engine, folder: Path) -> str:
    with pytest.raises(BulkImportError) as caught:
        run(engine, folder)
    return str(caught.value)


def count_rows(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "import"
    path.mkdir()
    return path


@pytest.fixture
def loaded(engine: Engine, folder: Path) -> Path:
    """The standard data set, imported."""
    write_all(folder)
    run(engine, folder)
    return folder


# --- Loading ---------------------------------------------------------------------------


def test_imports_every_file_in_order(engine: Engine, folder: Path) -> None:
    write_all(folder)
    summary = run(engine, folder)
    assert summary == {
        "users.csv": 3,
        "venues.csv": 2,
        "social_edges.csv": 3,
        "interactions.csv": 3,
    }
    assert list(summary) == ["users.csv", "venues.csv", "social_edges.csv", "interactions.csv"]


@pytest.mark.parametrize("backend", ["postgresql"])  # VACUUM, the visibility map
def test_postgresql_import_leaves_the_loaded_tables_vacuumed(engine: Engine, folder: Path) -> None:
    """The first requests after an import do not pay for hint bits, and a person's engagement
    is read from the index alone (all pages visible)."""
    write_all(folder)
    run(engine, folder)
    with engine.connect() as conn:
        vacuumed = dict(
            conn.execute(text("SELECT relname, last_vacuum FROM pg_stat_user_tables")).all()
        )
        all_visible = conn.execute(
            text("SELECT relallvisible = relpages FROM pg_class WHERE relname = 'interactions'")
        ).scalar_one()
    tables = ("users", "venues", "social_edges", "interactions", "category_engagement")
    assert all(vacuumed[table] is not None for table in tables), vacuumed
    assert all_visible


def test_gzipped_files(engine: Engine, client: TestClient, folder: Path) -> None:
    write_all(folder, gz=True)
    summary = run(engine, folder)
    assert summary == {
        "users.csv.gz": 3,
        "venues.csv.gz": 2,
        "social_edges.csv.gz": 3,
        "interactions.csv.gz": 3,
    }
    assert client.get(f"/users/{ALICE}").json()["handle"] == "alice"
    assert len(list_all(client, f"/users/{ALICE}/interactions")) == 2


def test_plain_and_gzipped_files_mix(engine: Engine, folder: Path) -> None:
    write(folder, "users", *USERS)
    write(folder, "venues", *VENUES, gz=True)
    assert run(engine, folder) == {"users.csv": 3, "venues.csv.gz": 2}


def test_missing_files_are_skipped(engine: Engine, folder: Path) -> None:
    write(folder, "users", *USERS)
    assert run(engine, folder) == {"users.csv": 3}


def test_header_only_file_loads_nothing(engine: Engine, folder: Path) -> None:
    write(folder, "users")
    assert run(engine, folder) == {"users.csv": 0}


def test_columns_in_any_order_and_a_bom(engine: Engine, client: TestClient, folder: Path) -> None:
    (folder / "users.csv").write_bytes(
        b"\xef\xbb\xbfname, handle ,home_lng,home_lat,age,id\r\n"
        + f"Alice,alice,-73.99,40.73,30,{ALICE}\r\n".encode()
    )
    run(engine, folder)
    user = client.get(f"/users/{ALICE}").json()
    assert (user["handle"], user["name"], user["age"]) == ("alice", "Alice", 30)
    assert (user["home_lat"], user["home_lng"]) == (40.73, -73.99)


def test_blank_lines_are_skipped(engine: Engine, folder: Path) -> None:
    write(folder, "users", USERS[0], "", USERS[1])
    assert run(engine, folder) == {"users.csv": 2}


# --- What the API sees ----------------------------------------------------------------


def test_imported_data_through_the_api(client: TestClient, loaded: Path) -> None:
    alice = client.get(f"/users/{ALICE}").json()
    assert alice | {"created_at": None} == {
        "id": ALICE,
        "handle": "alice",
        "name": "Alice Liddell",
        "age": 30,
        "home_lat": 40.73,
        "home_lng": -73.99,
        "created_at": None,
    }
    assert alice["created_at"].endswith("+00:00")

    bar = client.get(f"/venues/{BAR}").json()
    assert bar["description"] == 'Dark, loud; "famous"'
    assert bar["category"] == "bar"  # lower-cased, as the API does
    assert (bar["price_level"], bar["rating"]) == (2, 4.5)

    edges = {e["other_user_id"]: e for e in list_all(client, f"/users/{ALICE}/edges")}
    assert edges[BOB]["relationship_type"] == "friend"
    assert edges[BOB]["strength"] == 0.8
    assert edges[CAROL]["relationship_type"] == "suggested"

    history = list_all(client, f"/users/{ALICE}/interactions")
    # Newest first; a naive time is UTC, an offset is converted to UTC.
    assert [(i["venue_id"], i["occurred_at"]) for i in history] == [
        (CAFE, "2025-05-02T07:30:00+00:00"),
        (BAR, "2025-05-01T20:00:00+00:00"),
    ]
    assert [i["dwell_time_seconds"] for i in history] == [0, 120]  # empty dwell is 0
    for interaction in history:
        assert uuid.UUID(interaction["id"]).version == 4
        assert interaction["created_at"].endswith("+00:00")


def test_empty_occurred_at_is_now(client: TestClient, loaded: Path) -> None:
    (interaction,) = list_all(client, f"/users/{BOB}/interactions")
    occurred = datetime.fromisoformat(interaction["occurred_at"])
    assert abs(datetime.now(UTC) - occurred) < timedelta(minutes=5)
    assert interaction["occurred_at"] == interaction["created_at"]


def test_empty_fields_are_null(client: TestClient, loaded: Path) -> None:
    bob = client.get(f"/users/{BOB}").json()
    assert (bob["age"], bob["home_lat"], bob["home_lng"]) == (None, None, None)
    cafe = client.get(f"/venues/{CAFE}").json()
    for field in ("description", "category", "price_level", "rating"):
        assert cafe[field] is None, field


def test_reco_scores_imported_interactions(client: TestClient, loaded: Path) -> None:
    (best, *_) = client.get(f"/reco/venues/{ALICE}").json()
    assert best["venue_id"] == BAR
    # Alice lives at the bar: spatial 1; one like + 120 s: preference min(1, 0.5 + 0.4);
    # the bar has the most positive interactions (2): popularity 1.
    assert best["features"]["spatial"] == pytest.approx(1.0)
    assert best["features"]["preference"] == pytest.approx(0.9)
    assert best["features"]["popularity"] == pytest.approx(1.0)
    assert best["score"] == pytest.approx(0.4 + 0.4 * 0.9 + 0.2)


def test_imported_rows_are_stored_like_api_rows(
    engine: Engine, client: TestClient, folder: Path
) -> None:
    """Same storage format (SQLite keeps UUIDs as hex and times as naive UTC text)."""
    api_user = create_user(client)
    write(folder, "users", *USERS)
    run(engine, folder)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, created_at FROM users").all()
    formats = {(type(row.id), type(row.created_at)) for row in rows}
    assert len(formats) == 1, formats
    if engine.dialect.name == "sqlite":
        stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
        assert {row.id for row in rows} >= {uuid.UUID(api_user["id"]).hex, uuid.UUID(ALICE).hex}
        assert all(stamp.fullmatch(row.created_at) for row in rows)
    # And the list route orders them like any other rows.
    assert len(list_all(client, "/users/")) == 4


# --- Upserts and appends ----------------------------------------------------------------


def test_second_import_updates_users_venues_edges(
    engine: Engine, client: TestClient, loaded: Path
) -> None:
    before = client.get(f"/users/{ALICE}").json()
    venue_before = client.get(f"/venues/{BAR}").json()
    edge_before = list_all(client, f"/users/{ALICE}/edges")
    (loaded / "interactions.csv").unlink()
    write(loaded, "users", f"{ALICE},alice2,Alice Renamed,31,,", *USERS[1:])
    write(loaded, "venues", f"{BAR},The New Bar,,cafe,40.0,-74.0,1,3", *VENUES[1:])
    write(loaded, "social_edges", f"{ALICE},{BOB},mutual,0.25")
    assert run(engine, loaded) == {"users.csv": 3, "venues.csv": 2, "social_edges.csv": 1}

    after = client.get(f"/users/{ALICE}").json()
    assert (after["handle"], after["name"], after["age"]) == ("alice2", "Alice Renamed", 31)
    assert (after["home_lat"], after["home_lng"]) == (None, None)
    assert after["created_at"] == before["created_at"]

    venue = client.get(f"/venues/{BAR}").json()
    assert (venue["name"], venue["description"], venue["category"]) == (
        "The New Bar",
        None,
        "cafe",
    )
    assert venue["created_at"] == venue_before["created_at"]

    edges = {e["other_user_id"]: e for e in list_all(client, f"/users/{ALICE}/edges")}
    assert (edges[BOB]["relationship_type"], edges[BOB]["strength"]) == ("mutual", 0.25)
    old_created = {e["other_user_id"]: e["created_at"] for e in edge_before}
    assert edges[BOB]["created_at"] == old_created[BOB]
    assert CAROL in edges  # edges not in the file stay
    assert count_rows(engine, "users") == 3
    assert count_rows(engine, "social_edges") == 3


def test_upsert_keeps_venue_booking_provider(engine: Engine, loaded: Path) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE venues SET booking_provider = 'mock'"))
    run(engine, loaded)
    with engine.connect() as conn:
        assert set(conn.execute(text("SELECT booking_provider FROM venues")).scalars()) == {"mock"}


def test_handles_can_be_swapped(engine: Engine, client: TestClient, loaded: Path) -> None:
    write(loaded, "users", f"{ALICE},bob,Alice,,,", f"{BOB},ALICE,Bob,,,")
    (loaded / "interactions.csv").unlink()
    run(engine, loaded)
    assert client.get(f"/users/{ALICE}").json()["handle"] == "bob"
    assert client.get(f"/users/{BOB}").json()["handle"] == "ALICE"


def test_interactions_are_appended(engine: Engine, client: TestClient, loaded: Path) -> None:
    assert count_rows(engine, "interactions") == 3
    run(engine, loaded)
    assert count_rows(engine, "interactions") == 6
    history = list_all(client, f"/users/{ALICE}/interactions")
    assert len(history) == 4
    assert len({i["id"] for i in history}) == 4


def test_small_import_into_a_big_table(
    engine: Engine,
    client: TestClient,
    loaded: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file large next to the table rebuilds its indexes (and keys) after the insert; a small
    one is inserted with them in place. Both give the same result."""
    rebuilt: list[str] = []
    drop_indexes = Staging._drop_indexes

    def spy(self: Staging, table: str) -> list[str]:
        rebuilt.append(table)
        return drop_indexes(self, table)

    monkeypatch.setattr(Staging, "_drop_indexes", spy)
    for stem in ("users", "venues", "social_edges"):
        (loaded / f"{stem}.csv").unlink()
    write(loaded, "interactions", *(INTERACTIONS * 4))
    run(engine, loaded)
    assert count_rows(engine, "interactions") == 15
    assert rebuilt == ["interactions"]
    write(loaded, "interactions", INTERACTIONS[0])
    run(engine, loaded)
    assert count_rows(engine, "interactions") == 16
    assert rebuilt == ["interactions"]  # not again this time
    assert len(list_all(client, f"/users/{ALICE}/interactions")) == 11


CATALOG = {
    "postgresql": """
        SELECT indexdef FROM pg_indexes WHERE tablename = 'interactions'
        UNION ALL
        SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = 'interactions'::regclass
        ORDER BY 1
    """,
    "sqlite": """
        SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master
        WHERE tbl_name = 'interactions' ORDER BY 1
    """,
}


def test_rebuilt_indexes_and_keys_are_identical(engine: Engine, backend: str, folder: Path) -> None:
    with engine.connect() as conn:
        before = conn.execute(text(CATALOG[backend])).scalars().all()
    write_all(folder)
    run(engine, folder)
    with engine.connect() as conn:
        assert conn.execute(text(CATALOG[backend])).scalars().all() == before
    # PostgreSQL: 4 indexes (one the primary key's, one BRIN), the primary and 2 foreign keys.
    # SQLite: the table, its primary key's index, 3 indexes and the 3 category-total triggers.
    assert len(before) == {"postgresql": 7, "sqlite": 8}[backend]


# --- Rejections: file and line ------------------------------------------------------------

LONG = "x" * 65

# (file, bad row, message after "FILE line 3: "); line 2 is always a good row.
BAD_ROWS = [
    ("users", f"{CAROL},,Carol,,,", "handle is required"),
    ("users", f"{CAROL},{LONG},Carol,,,", "handle must be 1 to 64 characters long"),
    ("users", f"{CAROL},   ,Carol,,,", "handle must be 1 to 64 characters long"),
    ("users", f"{CAROL},car\x07ol,Carol,,,", "handle must not contain control characters"),
    ("users", f"{CAROL},carol,,,,", "name is required"),
    ("users", f"{CAROL},carol,{'n' * 201},,,", "name must be 1 to 200 characters long"),
    ("users", f"{CAROL},carol,Ca\x00rol,,,", "name must not contain control characters"),
    ("users", f"{CAROL},carol,Carol,12,,", "age must be between 13 and 120"),
    ("users", f"{CAROL},carol,Carol,121,,", "age must be between 13 and 120"),
    ("users", f"{CAROL},carol,Carol,30.5,,", "age must be a whole number, not '30.5'"),
    ("users", f"{CAROL},carol,Carol,,40.7,", "home_lat and home_lng must be given together"),
    ("users", f"{CAROL},carol,Carol,,,-73.9", "home_lat and home_lng must be given together"),
    ("users", f"{CAROL},carol,Carol,,90.5,0", "home_lat must be between -90 and 90"),
    ("users", f"{CAROL},carol,Carol,,0,-180.5", "home_lng must be between -180 and 180"),
    ("users", f"{CAROL},carol,Carol,,nan,0", "home_lat must be between -90 and 90"),
    ("users", f"{CAROL},carol,Carol,,north,0", "home_lat must be a number, not 'north'"),
    ("users", "not-a-uuid,carol,Carol,,,", "id must be a UUID, not 'not-a-uuid'"),
    ("users", ",carol,Carol,,,", "id is required"),
    ("users", f"{CAROL},carol,Carol,,", "expected 6 fields, found 5"),
    ("users", f"{CAROL},carol,Carol,,,,", "expected 6 fields, found 7"),
    ("users", f"{CAROL},ALICE,Carol,,,", "handle 'ALICE' is already taken (line 2)"),
    ("users", f"{ALICE},alice2,Alice,,,", f"id {ALICE} is repeated (first on line 2)"),
    ("venues", f"{CAFE},Cafe,,Coffee Shop,1,1,,", "category must be a lower-case word"),
    ("venues", f"{CAFE},Cafe,,coffee_shop,1,1,,", "category must be a lower-case word"),
    ("venues", f"{CAFE},Cafe,{'d' * 2001},,1,1,,", "description must be at most 2000 characters"),
    ("venues", f"{CAFE},,,,1,1,,", "name is required"),
    ("venues", f"{CAFE},Cafe,,,,1,,", "lat is required"),
    ("venues", f"{CAFE},Cafe,,,1,181,,", "lng must be between -180 and 180"),
    ("venues", f"{CAFE},Cafe,,,1,1,0,", "price_level must be between 1 and 4"),
    ("venues", f"{CAFE},Cafe,,,1,1,5,", "price_level must be between 1 and 4"),
    ("venues", f"{CAFE},Cafe,,,1,1,,5.5", "rating must be between 0 and 5"),
    ("venues", f"{CAFE},Cafe,,,1,1,,-1", "rating must be between 0 and 5"),
    ("social_edges", f"{BOB},{ALICE},enemy,0.5", "relationship_type must be one of"),
    ("social_edges", f"{BOB},{ALICE},Friend,0.5", "relationship_type must be one of"),
    ("social_edges", f"{BOB},{ALICE},friend,1.5", "strength must be between 0 and 1"),
    ("social_edges", f"{BOB},{ALICE},friend,", "strength is required"),
    ("social_edges", f"{BOB},{BOB},friend,0.5", "a user cannot have an edge to themselves"),
    ("social_edges", f"{BOB},{NOBODY},friend,0.5", f"other_user_id {NOBODY}: user not found"),
    (
        "social_edges",
        f"{ALICE},{BOB},mutual,0.5",
        f"edge {ALICE} -> {BOB} is repeated (first on line 2)",
    ),
    ("interactions", f"{BOB},{BAR},LIKE,0,", "interaction_type must be one of interest, like"),
    ("interactions", f"{BOB},{BAR},,0,", "interaction_type is required"),
    ("interactions", f"{BOB},{BAR},like,-1,", "dwell_time_seconds must be between 0 and 86400"),
    ("interactions", f"{BOB},{BAR},like,86401,", "dwell_time_seconds must be between 0 and 86400"),
    ("interactions", f"{BOB},{BAR},like,0,yesterday", "occurred_at must be an ISO-8601 date"),
    ("interactions", f"{BOB},bar,like,0,", "venue_id must be a UUID, not 'bar'"),
    ("interactions", f"{NOBODY},{BAR},like,0,", f"user_id {NOBODY}: user not found"),
    ("interactions", f"{BOB},{NOBODY},like,0,", f"venue_id {NOBODY}: venue not found"),
    ("interactions", f"{BOB},{BAR},like,0", "expected 5 fields, found 4"),
]


@pytest.mark.parametrize(("stem", "row", "message"), BAD_ROWS)
def test_bad_row_is_reported_with_file_and_line(
    engine: Engine, folder: Path, stem: str, row: str, message: str
) -> None:
    good = {"users": USERS[0], "venues": VENUES[0], "social_edges": EDGES[0]}
    if stem != "users":
        write(folder, "users", *USERS[:2])
        write(folder, "venues", *VENUES[:1])
        run(engine, folder)
        (folder / "users.csv").unlink()
        (folder / "venues.csv").unlink()
    write(folder, stem, good.get(stem, INTERACTIONS[0]), row, good.get(stem, INTERACTIONS[0]))
    assert failure(engine, folder).startswith(f"{stem}.csv line 3: {message}")


def test_handle_taken_by_an_existing_user(engine: Engine, client: TestClient, folder: Path) -> None:
    holder = create_user(client, handle="Alice")
    write(folder, "users", USERS[1], USERS[0])
    assert failure(engine, folder) == (
        f"users.csv line 3: handle 'alice' is already taken (by user {holder['id']})"
    )
    # But a user may keep (or re-case) their own handle.
    write(folder, "users", f"{holder['id']},ALICE,Renamed,,,")
    run(engine, folder)
    assert client.get(f"/users/{holder['id']}").json()["handle"] == "ALICE"


def test_the_first_offending_line_is_reported(engine: Engine, folder: Path) -> None:
    """A bad reference on line 4 comes before a bad value on line 6, and vice versa."""
    write(folder, "users", *USERS)
    write(folder, "venues", *VENUES)
    run(engine, folder)
    for stem in ("users", "venues"):
        (folder / f"{stem}.csv").unlink()
    bad_value = f"{BOB},{BAR},like,-5,"
    unknown = f"{NOBODY},{BAR},like,0,"
    write(folder, "interactions", *INTERACTIONS[:2], unknown, INTERACTIONS[2], bad_value)
    assert failure(engine, folder).startswith(f"interactions.csv line 4: user_id {NOBODY}")
    write(folder, "interactions", *INTERACTIONS[:2], bad_value, INTERACTIONS[2], unknown)
    assert failure(engine, folder).startswith("interactions.csv line 4: dwell_time_seconds")


def test_line_numbers_count_physical_lines(engine: Engine, folder: Path) -> None:
    """A quoted field over several lines: the next row's line is where it starts in the file."""
    write(folder, "users", USERS[0])
    spanning = f'{BAR},Bar,"line one\nline two\nline three",,1,1,,'
    write(folder, "venues", spanning, f"{CAFE},,,,1,1,,")
    assert failure(engine, folder) == "venues.csv line 5: name is required"


def test_invalid_utf8_is_reported_on_its_line(engine: Engine, folder: Path) -> None:
    good = f"{USERS_HEADER}\n{USERS[0]}\n".encode()
    (folder / "users.csv").write_bytes(good + f"{BOB},b\xffb,Bob,,,\n".encode("latin-1"))
    assert failure(engine, folder) == "users.csv line 3: not valid UTF-8"


def test_malformed_csv_is_reported_on_its_line(engine: Engine, folder: Path) -> None:
    """A quote left open swallows the rest of the file into one field."""
    write(folder, "users", USERS[0], f'{BOB},"bob,Bob,,,', USERS[2])
    assert failure(engine, folder).startswith("users.csv line 3: malformed CSV")


def test_broken_gzip(engine: Engine, folder: Path) -> None:
    (folder / "users.csv.gz").write_bytes(b"this is not gzip")
    assert failure(engine, folder).startswith("users.csv.gz: cannot read the file")
    path = write(folder, "users", *USERS, gz=True)
    path.write_bytes(path.read_bytes()[:-12])  # truncated
    assert failure(engine, folder).startswith("users.csv.gz: cannot read the file")


# --- Transactions -------------------------------------------------------------------------


def test_a_failing_file_leaves_nothing_behind(
    engine: Engine, client: TestClient, folder: Path
) -> None:
    write(folder, "users", *USERS)
    write(folder, "venues", *VENUES)
    write(folder, "social_edges", *EDGES)
    write(folder, "interactions", *INTERACTIONS, f"{BOB},{BAR},like,99999,")
    message = failure(engine, folder)
    assert message.startswith("interactions.csv line 5: dwell_time_seconds")
    # The files before it stay loaded; nothing of interactions.csv is.
    assert count_rows(engine, "users") == 3
    assert count_rows(engine, "venues") == 2
    assert count_rows(engine, "social_edges") == 3
    assert count_rows(engine, "interactions") == 0
    assert list_all(client, f"/users/{ALICE}/interactions") == []


def test_a_failing_upsert_changes_nothing(engine: Engine, client: TestClient, loaded: Path) -> None:
    write(loaded, "users", f"{ALICE},renamed,Renamed,,,", f"{NOBODY},new,New,,,", f"{BOB},b,,,,")
    assert failure(engine, loaded) == "users.csv line 4: name is required"
    assert client.get(f"/users/{ALICE}").json()["handle"] == "alice"
    assert client.get(f"/users/{NOBODY}").status_code == 404
    assert count_rows(engine, "interactions") == 3  # nothing after users.csv ran either


def test_the_staging_table_does_not_linger(engine: Engine, loaded: Path) -> None:
    """After a failure the same connection can import again (pooled connections)."""
    write(loaded, "interactions", f"{NOBODY},{BAR},like,0,")
    failure(engine, loaded)
    write(loaded, "interactions", *INTERACTIONS)
    assert run(engine, loaded)["interactions.csv"] == 3


# --- Files and headers --------------------------------------------------------------------


def test_missing_column(engine: Engine, folder: Path) -> None:
    write(folder, "users", f"{ALICE},alice,Alice,,", header="id,handle,name,age,home_lat")
    assert failure(engine, folder) == (
        "users.csv line 1: missing column(s) home_lng "
        "(expected id,handle,name,age,home_lat,home_lng)"
    )


def test_unknown_column(engine: Engine, folder: Path) -> None:
    write(folder, "venues", header=VENUES_HEADER + ",booking_provider")
    assert failure(engine, folder).startswith(
        "venues.csv line 1: unknown column(s) 'booking_provider'"
    )


def test_empty_file(engine: Engine, folder: Path) -> None:
    (folder / "social_edges.csv").write_bytes(b"")
    assert failure(engine, folder).startswith("social_edges.csv: empty file")


def test_folder_without_bulk_files(engine: Engine, folder: Path) -> None:
    (folder / "notes.txt").write_text("nothing to import")
    assert "none of users.csv, venues.csv" in failure(engine, folder)


def test_plain_and_gzipped_copy_of_one_file(engine: Engine, folder: Path) -> None:
    write(folder, "users", *USERS)
    write(folder, "users", *USERS, gz=True)
    assert "both users.csv and users.csv.gz" in failure(engine, folder)


# --- Same rules as the API ------------------------------------------------------------------

U = "12345678-1234-5678-1234-567812345678"
V = "87654321-1234-5678-1234-567812345678"
NOW = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)

_PARITY: dict[str, tuple[type[BaseModel], dict[str, str], dict[str, list[str]]]] = {
    "user": (
        UserCreate,
        {"id": U, "handle": "h", "name": "n", "age": "20", "home_lat": "1", "home_lng": "2"},
        {
            "id": [
                U,
                U.replace("-", ""),
                f"{{{U}}}",
                f"urn:uuid:{U}",
                U.upper(),
                f" {U}",
                "12",
                U[:8] + U[9:13] + "-" + U[13:],
                f"{{{U.replace('-', '')}}}",
                "+" + U[1:],
            ],
            "handle": ["a", " a ", "   ", "x" * 64, "x" * 65, "a\x07b", "t\tb", "a\x1f", "ünï"],
            "name": ["x" * 200, "x" * 201, "\u00a0x\u00a0", "\u2003"],
            "age": [
                "13",
                "12",
                "120",
                "121",
                "13.0",
                " 13.0 ",
                "13.",
                "13.5",
                "abc",
                "+20",
                " 20 ",
                "1e1",
                "1_3",
                "0x10",
                "٣٣",
                "٣٣.0",
                "-0",
            ],
            "home_lat": ["90", "90.0001", "-90", "nan", "inf", "1e1", "abc", "1_0", " 5 ", "٣"],
        },
    ),
    "venue": (
        VenueCreate,
        {
            "id": U,
            "name": "n",
            "description": "d",
            "category": "bar",
            "lat": "1",
            "lng": "2",
            "price_level": "2",
            "rating": "4",
        },
        {
            "category": [
                "bar",
                "Coffee-Shop",
                " cafe ",
                "coffee shop",
                "coffee_shop",
                "-bar",
                "bar-",
                "a--b",
                "x" * 65,
                "x" * 64,
                "bar\n",
                "ÄBC",
                "K",
            ],
            "description": ["x" * 2000, "x" * 2001, "  ", "a\x0bb"],
            "price_level": ["0", "1", "4", "5", "2.0"],
            "rating": ["0", "5", "5.01", "-0.01", "4.5", "-0"],
        },
    ),
    "edge": (
        EdgeUpsert,
        {"user_id": U, "other_user_id": V, "relationship_type": "friend", "strength": "0.5"},
        {
            "relationship_type": ["friend", "Friend", "enemy", " friend"],
            "strength": [
                "0",
                "1",
                "1.0001",
                "-0",
                "nan",
                ".5",
                "1e-1",
                "0.112",
                "1.000000000000000",
                "0.30000000000000004",
                "00.5",
            ],
        },
    ),
    "interaction": (
        BatchItem,
        {
            "user_id": U,
            "venue_id": V,
            "interaction_type": "like",
            "dwell_time_seconds": "5",
            "occurred_at": "2024-01-01T00:00:00",
        },
        {
            "interaction_type": ["view", "LIKE", " like"],
            "dwell_time_seconds": [
                "0",
                "86400",
                "86401",
                "-1",
                "1.5",
                "60.0",
                " 5",
                "0.000",
                "00060",
            ],
            "occurred_at": [
                "2024-01-02T03:04:05",
                "2024-01-02T03:04:05Z",
                "2024-01-02",
                "2024-01-02 03:04:05+02:00",
                "2024-01-02T03:04",
                "yesterday",
                "1700000000",
                "20240102T030405",
                "0001-01-01T00:00-05:00",
                "2024-13-01",
                "2024-W01-1",
                "2024-02-29T23:59:59.999999Z",
                "2023-02-29T00:00:00Z",
                "2024-01-02T23:59:60Z",
                "2024-01-02T24:00:00",
                "2024-01-02 03:04:05.5+00:00",
                "2024-01-02T03:04:05.1234567Z",
                "2024-01-02t03:04:05z",
                "0000-01-01T00:00:00Z",
            ],
        },
    ),
}


def _parity_cases() -> list[Any]:
    return list(_iter_parity_cases())


def _iter_parity_cases() -> Iterator[Any]:
    for kind, (_model, _base, values) in _PARITY.items():
        for column, samples in values.items():
            for sample in samples:
                yield pytest.param(kind, column, sample, id=f"{kind}-{column}-{sample[:20]!r}")


FILE_OF = {
    "user": formats.USERS,
    "venue": formats.VENUES,
    "edge": formats.SOCIAL_EDGES,
    "interaction": formats.INTERACTIONS,
}


@pytest.mark.parametrize(("kind", "column", "value"), _parity_cases())
def test_rows_follow_the_api_rules(kind: str, column: str, value: str) -> None:
    """The import accepts exactly the values the API accepts, and reads them the same way."""
    model, base, _values = _PARITY[kind]
    data = base | {column: value}
    spec = FILE_OF[kind]
    staged, problem = spec.validate([pa.array([data[name]]) for name in spec.columns], NOW)
    parsed: Any = None if problem else staged.to_pylist()[0]
    try:
        api: Any = model(**{k: v for k, v in data.items() if k in model.model_fields})
    except ValidationError:
        api = None
    assert (parsed is None) == (api is None), (parsed, problem, api)
    if parsed is not None and column in model.model_fields:
        assert parsed[column] == formats.staged_value(getattr(api, column))


# --- The command line -----------------------------------------------------------------------


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_import(cli_env: None, client: TestClient, folder: Path) -> None:
    write_all(folder)
    result = CliRunner().invoke(cli_app, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    for line in ("users.csv: 3 rows", "venues.csv: 2 rows", "interactions.csv: 3 rows"):
        assert line in result.output
    assert client.get(f"/users/{ALICE}").json()["name"] == "Alice Liddell"


def test_cli_import_reports_the_bad_line(cli_env: None, folder: Path) -> None:
    write(folder, "users", USERS[0], f"{BOB},bob,Bob,7,,")
    result = CliRunner().invoke(cli_app, ["import", str(folder)])
    assert result.exit_code == 1
    assert "Import failed:" in result.output
    assert "users.csv line 3: age must be between 13 and 120" in " ".join(result.output.split())
