"""Reading bulk files with pyarrow (luna.bulk.reader, luna.bulk.formats): whole columns are
checked as each row alone would be, Arrow's timestamp parsing agrees with the API's, and every
row and error keeps its line, over blocks, quoted line breaks, blank lines and CRLF.

Most tests need no database: they read files with `BulkFile` directly.
"""

import gzip
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from sqlalchemy import Engine

from luna.bulk import BulkImportError, import_directory, reader
from luna.bulk.formats import (
    INTERACTIONS,
    SOCIAL_EDGES,
    USERS,
    VENUES,
    FileSpec,
    Problem,
    api_type,
    arrow_timestamps,
)
from luna.bulk.reader import BulkFile
from luna.interactions.schemas import BatchItem

NOW = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)
U = "12345678-1234-5678-1234-567812345678"
V = "87654321-abcd-ef01-2345-6789abcdef01"
API_TIMESTAMP = TypeAdapter(api_type(BatchItem, "occurred_at"))


def validate(spec: FileSpec, rows: list[list[str]]) -> tuple[list[dict[str, Any]], Problem | None]:
    columns = [pa.array([row[i] for row in rows], pa.string()) for i in range(len(spec.columns))]
    staged, problem = spec.validate(columns, NOW)
    return staged.to_pylist(), problem


# --- Values -----------------------------------------------------------------------------------

UUIDS = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: f"{{{u}}}"),
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.uuids().map(lambda u: str(u)[:35] + "g"),
    st.uuids().map(lambda u: " " + str(u)),
    st.sampled_from(["", "x", U, U.upper(), V]),
)
DWELLS = st.one_of(
    st.integers(-5, 100_000).map(str),
    st.sampled_from(["", " 5", "+5", "5.0", "5.", "1_0", "٣", "0x1", "1e3", "-0", "00"]),
)
STRENGTHS = st.one_of(
    st.floats(0, 1.2).map(repr),
    st.sampled_from(["", ".5", "1.", "-0", "1e-1", "nan", "inf", " 0.5", "0,5", "0.5"]),
)


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    """Mostly near the ISO-8601 spellings Arrow is given, often just outside them."""
    year = draw(st.sampled_from([0, 1, 9, 10, 99, 100, 999, 1000, 1900, 1970, 2000, 2024, 9999]))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    hour, minute = draw(st.integers(0, 25)), draw(st.integers(0, 61))
    second = draw(st.integers(0, 61))
    separator = draw(st.sampled_from(["T", "T", " ", "t", "_"]))
    fraction = draw(st.one_of(st.just(""), st.text("0123456789", min_size=0, max_size=8)))
    dot = draw(st.sampled_from([".", ".", ","])) if fraction or draw(st.booleans()) else ""
    zone = draw(st.sampled_from(["", "Z", "+00:00", "z", "-00:00", "+01:30", "+0000", "+00"]))
    text = (
        f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}"
        f"{dot}{fraction}{zone}"
    )
    if draw(st.integers(0, 9)) == 0:  # something else around it
        text = draw(st.sampled_from(["", " ", "x", "0"])) + text[: draw(st.integers(0, 33))]
    return text


VALID_TIMES = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
).flatmap(
    lambda t: st.sampled_from(
        [
            t.isoformat(),
            t.isoformat() + "Z",
            t.isoformat() + "+00:00",
            t.isoformat(" "),
            t.isoformat(timespec="milliseconds") + "Z",
            t.isoformat(timespec="seconds") + "Z",
        ]
    )
)
TIMES = st.one_of(timestamps(), VALID_TIMES, st.just(""))


def api_time(value: str) -> datetime | None:
    """What the API reads (naive UTC), or None if it refuses the value."""
    try:
        parsed = API_TIMESTAMP.validate_python(value)
    except ValidationError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None)


@settings(max_examples=500, deadline=None)
@given(value=st.one_of(timestamps(), VALID_TIMES))
def test_arrow_reads_the_timestamps_it_takes_as_the_api(value: str) -> None:
    parsed = arrow_timestamps(pa.array([value]), NOW)
    if parsed is not None:
        expected = NOW.replace(tzinfo=None) if value == "" else api_time(value)  # "" is now
        assert parsed.to_pylist() == [expected], value


@settings(max_examples=100, deadline=None)
@given(value=VALID_TIMES)
def test_the_usual_utc_spellings_are_read_by_arrow(value: str) -> None:
    parsed = arrow_timestamps(pa.array([value, ""]), NOW)
    assert parsed is not None
    assert parsed.to_pylist() == [api_time(value), NOW.replace(tzinfo=None)]


@pytest.mark.parametrize(
    ("value", "taken"),
    [
        ("2024-02-29T00:00:00", True),
        ("2023-02-29T00:00:00", False),
        ("2000-02-29T00:00:00Z", True),
        ("1900-02-29T00:00:00Z", False),
        ("2024-01-02T23:59:60Z", False),  # pydantic refuses leap seconds
        ("2024-01-02T24:00:00Z", False),
        ("0000-01-01T00:00:00", False),
        ("0001-01-01T00:00:00", True),
        ("9999-12-31T23:59:59.999999+00:00", True),
        ("2024-01-02T03:04:05.1234567Z", False),  # pydantic truncates it
        ("2024-01-02T03:04:05.Z", False),
        ("2024-01-02t03:04:05z", False),  # pydantic's to read
        ("2024-01-02 03:04:05.5", True),
        ("2024-01-02T03:04:05+02:00", False),
    ],
)
def test_timestamp_edges(value: str, taken: bool) -> None:
    parsed = arrow_timestamps(pa.array([value]), NOW)
    assert (parsed is not None) == taken
    if taken:
        assert parsed is not None and parsed.to_pylist() == [api_time(value)]


INTERACTION_ROWS = st.lists(
    st.tuples(
        UUIDS, UUIDS, st.sampled_from(["view", "like", "LIKE", " like", "", "likes"]), DWELLS, TIMES
    ).map(list),
    min_size=1,
    max_size=30,
)
EDGE_ROWS = st.lists(
    st.one_of(
        st.tuples(UUIDS, UUIDS, st.sampled_from(["friend", "Friend", ""]), STRENGTHS).map(list),
        st.tuples(st.sampled_from([U, V]), STRENGTHS).map(lambda t: [t[0], t[0], "mutual", t[1]]),
    ),
    min_size=1,
    max_size=30,
)
USER_ROWS = st.lists(
    st.tuples(
        UUIDS,
        st.sampled_from(["ann", " ann ", "", "a\x07b", "x" * 65]),
        st.sampled_from(["Ann", ""]),
        st.sampled_from(["", "30", "12", "30.5"]),
        st.sampled_from(["", "40.7", "91", "nan"]),
        st.sampled_from(["", "-74", "x"]),
    ).map(list),
    min_size=1,
    max_size=30,
)


@pytest.mark.parametrize(
    ("spec", "rows"),
    [(INTERACTIONS, INTERACTION_ROWS), (SOCIAL_EDGES, EDGE_ROWS), (USERS, USER_ROWS)],
    ids=lambda x: getattr(x, "stem", ""),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_column_at_once_is_each_row_alone(spec: FileSpec, rows: Any, data: Any) -> None:
    """Whole columns give what row after row gives: the same values for the rows before the
    first bad one, and that row's problem (the first column's, before the rules between them)."""
    batch = data.draw(rows)
    staged, problem = validate(spec, batch)
    expected: list[dict[str, Any]] = []
    for index, row in enumerate(batch):
        alone, own = validate(spec, [row])
        if own is not None:
            assert problem == Problem(index, own.message)
            break
        expected.extend(alone)
    else:
        assert problem is None
    assert staged == expected


# --- Files and their lines --------------------------------------------------------------------


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few rows, so that small files have many."""
    monkeypatch.setattr(reader, "_BLOCK", 300)


def read_file(spec: FileSpec, path: Path) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
    source = BulkFile(spec, path, NOW)
    rows = [row for table in source.tables() for row in table.to_pylist()]
    return rows, source.error


VENUE = f"{V},Bar,,bar,1,2,,"


def venue_line(number: int, description: str = "") -> str:
    return f"{uuid.UUID(int=number)},Venue {number},{description},bar,1,2,,"


PIECES = st.sampled_from(["plain", "quoted", "multiline", "crlf-inside", "blank"])


@pytest.mark.usefixtures("small_blocks")
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    pieces=st.lists(PIECES, max_size=60),
    bad_at=st.none() | st.integers(0, 59),
    line_end=st.sampled_from(["\n", "\r\n"]),
    gz=st.booleans(),
)
def test_every_row_keeps_its_line(
    tmp_path_factory: pytest.TempPathFactory,
    pieces: list[str],
    bad_at: int | None,
    line_end: str,
    gz: bool,
) -> None:
    """Over many blocks, with quoted line breaks, blank lines and CRLF: each staged row's line
    is where it starts, and a bad row stops the file at its own line."""
    lines = [",".join(VENUES.columns)]
    expected: list[int] = []
    bad_line = None
    for number, piece in enumerate(pieces):
        line = 1 + sum(1 + part.count("\n") for part in lines)  # where the next one starts
        if piece == "blank":
            lines.append("")
            continue
        description = {
            "plain": "",
            "quoted": '"a, b"',
            "multiline": '"one\ntwo\nthree"',
            "crlf-inside": '"one\r\ntwo"',
        }[piece]
        text = venue_line(number, description)
        if number == bad_at:
            text = text.removesuffix(",,") + ",9,"  # price_level 9
            bad_line = line
        lines.append(text)
        if bad_line is None:
            expected.append(line)
    content = line_end.join(lines) + line_end
    path = tmp_path_factory.mktemp("f") / ("venues.csv.gz" if gz else "venues.csv")
    path.write_bytes(gzip.compress(content.encode()) if gz else content.encode())
    rows, error = read_file(VENUES, path)
    assert [row["line"] for row in rows] == expected
    if bad_line is None:
        assert error is None
    else:
        assert error == (bad_line, "price_level must be between 1 and 4")
    for row in rows:
        if "\n" in (row["description"] or ""):
            assert row["description"] in ("one\ntwo\nthree", "one\r\ntwo")


def big_interactions(rows: int, bad: dict[int, str]) -> bytes:
    """An interactions file of `rows` plain rows, some lines (file line numbers) replaced."""
    lines = [",".join(INTERACTIONS.columns)]
    for number in range(2, rows + 2):
        user = uuid.UUID(int=number % 997 + 1)
        lines.append(bad.get(number, f"{user},{V},view,{number % 86400},2025-01-01T00:00:00Z"))
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")  # \udcff: byte 0xff


@pytest.mark.parametrize(
    ("line", "text", "message"),
    [
        (23_457, f"{U},{V},like,86401,", "dwell_time_seconds must be between 0 and 86400"),
        (23_457, f"{U},{V},like,1,2025-02-30T00:00:00", "occurred_at must be an ISO-8601"),
        (40_001, f"{U},{V},like,1", "expected 5 fields, found 4"),
        (40_001, f'{U},{V},like,1,"2025', "malformed CSV"),
        (2, f"{U},x,like,1,", "venue_id must be a UUID, not 'x'"),
        (50_001, f"{U},{V},LIKE,1,", "interaction_type must be one of interest, like, view"),
        (45_678, f"{U},{V},like,1,\udcff", "not valid UTF-8"),
    ],
)
def test_a_bad_row_deep_in_a_big_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: int, text: str, message: str
) -> None:
    monkeypatch.setattr(reader, "_BLOCK", 1 << 18)  # ~20 blocks
    content = big_interactions(50_000, {line: text, 12_345: f"{{{U}}},{V},like,,"})
    path = tmp_path / "interactions.csv.gz"
    path.write_bytes(gzip.compress(content, compresslevel=1))
    rows, error = read_file(INTERACTIONS, path)
    assert error is not None and error[0] == line and error[1].startswith(message), error
    assert len(rows) <= line - 2
    assert [row["line"] for row in rows] == list(range(2, len(rows) + 2))


def test_a_truncated_gzip_file_is_unreadable(tmp_path: Path) -> None:
    content = gzip.compress(big_interactions(60_000, {}), compresslevel=1)
    path = tmp_path / "interactions.csv.gz"
    path.write_bytes(content[:-40_000])
    with pytest.raises(BulkImportError, match=r"interactions.csv.gz: cannot read the file"):
        read_file(INTERACTIONS, path)


# --- Through the database ---------------------------------------------------------------------


def test_a_big_import_in_many_blocks(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows of many blocks staged with their lines, checks in the database, both backends."""
    monkeypatch.setattr(reader, "_BLOCK", 1 << 16)
    users = [f"{uuid.UUID(int=i + 1)},u{i},U,,," for i in range(997)]
    (tmp_path / "users.csv").write_text("\n".join([",".join(USERS.columns), *users, ""]))
    (tmp_path / "venues.csv").write_text(f"{','.join(VENUES.columns)}\n{V},V,,bar,1,1,,\n")
    console = Console(file=None, quiet=True)
    import_directory(engine, tmp_path, console)
    (tmp_path / "users.csv").unlink()
    (tmp_path / "venues.csv").unlink()
    odd = f"{uuid.UUID(int=5)!s},{V.upper()},like,,2025-01-01T02:00:00+02:00"
    missing = f"{uuid.UUID(int=5000)},{V},like,1,"
    path = tmp_path / "interactions.csv.gz"
    path.write_bytes(gzip.compress(big_interactions(30_000, {20_000: missing, 25_000: "nonsense"})))
    with pytest.raises(BulkImportError) as caught:
        import_directory(engine, tmp_path, console)
    missing_id = uuid.UUID(int=5000)
    assert (
        str(caught.value) == f"interactions.csv.gz line 20000: user_id {missing_id}: user not found"
    )
    path.write_bytes(gzip.compress(big_interactions(30_000, {20_000: odd})))
    assert import_directory(engine, tmp_path, console) == {"interactions.csv.gz": 30_000}
    with engine.connect() as conn:
        count, dwell, first = conn.exec_driver_sql(
            "SELECT count(*), sum(dwell_time_seconds), min(occurred_at) FROM interactions"
        ).one()
    assert count == 30_000
    assert dwell == sum(n % 86400 for n in range(2, 30_002) if n != 20_000)
    if isinstance(first, str):  # SQLite: UTCDateTime's text
        first = datetime.fromisoformat(first).replace(tzinfo=UTC)
    assert first == datetime(2025, 1, 1, tzinfo=UTC)
