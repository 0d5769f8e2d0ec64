"""The PostgreSQL fast path of the bulk import (formats.BlockEncoder, reader.RowReader's blocks):
every line it takes, RowParser takes too and reads to the same value; files read in blocks give
the same staged rows, errors and line numbers as files read row by row.

Most tests need no database: they decode the binary COPY rows themselves.
"""

import gzip
import io
import struct
import types
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rich.console import Console
from sqlalchemy import Engine

from luna.bulk import BulkImportError, import_directory, reader
from luna.bulk.errors import RowError
from luna.bulk.formats import (
    INTERACTIONS,
    POSTGRES,
    SOCIAL_EDGES,
    USERS,
    VENUES,
    FileSpec,
    RowParser,
)
from luna.bulk.reader import RowReader
from luna.bulk.store import _SQL

NOW = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
U = "12345678-1234-5678-1234-567812345678"
V = "87654321-abcd-ef01-2345-6789abcdef01"

# The staging column types of each file (luna.bulk.store), line first: how to decode its rows.
_DECODE: dict[str, Callable[[bytes], Any]] = {
    "int8": lambda data: int.from_bytes(data, "big", signed=True),
    "uuid": lambda data: uuid.UUID(bytes=data),
    "text": bytes.decode,
    "int": lambda data: int.from_bytes(data, "big", signed=True),
    "float": lambda data: struct.unpack(">d", data)[0],
    "timestamp": lambda data: (
        PG_EPOCH + timedelta(microseconds=int.from_bytes(data, "big", signed=True))
    ),
}

_SIZES = {"int8": 8, "uuid": 16, "int": 4, "float": 8, "timestamp": 8}  # no NULLs either


def decode(spec: FileSpec, payload: bytes) -> list[tuple[Any, ...]]:
    """The rows of a block of binary COPY rows (as RowReader yields them, no header)."""
    kinds = ("int8", *_SQL[spec.stem].types)
    rows, at = [], 0
    while at < len(payload):
        (fields,) = struct.unpack_from(">h", payload, at)
        assert fields == len(kinds)
        at += 2
        row = []
        for kind in kinds:
            (size,) = struct.unpack_from(">i", payload, at)
            at += 4
            assert size == _SIZES.get(kind, size) >= 0, kind  # as the staging column's type
            row.append(_DECODE[kind](payload[at : at + size]))
            at += size
        rows.append(tuple(row))
    return rows


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal, floats to the bit (0.0 == -0.0 but the database keeps the sign)."""
    return _bits(a) == _bits(b)


def _bits(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(struct.pack(">d", value) if type(value) is float else value for value in row)


def parser() -> RowParser:
    return RowParser(POSTGRES, NOW)


def row_by_row(spec: FileSpec, fields: list[str]) -> tuple[Any, ...] | None:
    try:
        return tuple(spec.parse(parser(), fields))
    except RowError:
        return None


def encode_lines(spec: FileSpec, lines: list[str]) -> tuple[list[bool], dict[int, tuple]]:
    """Which lines the block encoder takes, and their values by line (the first is line 1)."""
    encoder = parser().block_encoder(spec)
    assert encoder is not None
    encoded = encoder("".join(f"{line}\n" for line in lines).encode())
    rows = decode(spec, encoded.rows(1, len(lines)))
    return encoded.ok.tolist(), {row[0]: row[1:] for row in rows}


# --- Values -----------------------------------------------------------------------------------

UUIDS = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: f"{{{u}}}"),
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.uuids().map(lambda u: str(u)[:35] + "g"),
    st.uuids().map(lambda u: str(u).replace("-", "", 1) + "-"),
    st.uuids().map(lambda u: " " + str(u)),
    st.sampled_from(["", "x", U.replace("-", "+")]),
)
DWELLS = st.one_of(
    st.integers(-5, 100_000).map(str),
    st.integers(0, 86_400).map(lambda i: f"{i:05d}"),
    st.sampled_from(["", " 5", "5 ", "+5", "5.0", "5.", "1_0", "٣", "0x1", "1e3", "-0", "00"]),
)
STRENGTHS = st.one_of(
    st.floats(0, 1.2).map(repr),
    st.decimals(0, 1, places=17).map(str),
    st.builds(
        lambda whole, digits: f"{whole}.{digits}",
        st.sampled_from(["0", "1", "00", "2"]),
        st.text("0123456789", min_size=0, max_size=18),
    ),
    st.text("0123456789.", max_size=18),
    st.sampled_from(["", ".5", "1.", "-0", "-0.0", "1e-1", "nan", "inf", " 0.5", "0,5"]),
    st.sampled_from(["0.99999999999999999", "1.0000000000000001", "0.30000000000000004"]),
)


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    """Mostly near the ISO-8601 spellings the fast path takes, often just outside them."""
    year = draw(st.sampled_from([0, 1, 999, 1000, 1900, 1970, 2000, 2024, 2100, 9999]))
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

INTERACTION_LINES = st.tuples(
    UUIDS,
    UUIDS,
    # "interest" fills the 8 bytes the encoder compares: longer fields share them.
    st.sampled_from(
        ["view", "like", "interest", "LIKE", " like", "", "likes", "interests", "like\0"]
    ),
    DWELLS,
    st.one_of(timestamps(), VALID_TIMES, st.just("")),
).map(list)
EDGE_LINES = st.one_of(
    st.tuples(
        UUIDS,
        UUIDS,
        st.sampled_from(
            ["friend", "mutual", "suggested", "Friend", "", "friends", "friend\0", "suggested\0"]
        ),
        STRENGTHS,
    ).map(list),
    # Both ids the same, or the same but spelt differently.
    st.tuples(st.uuids(), st.sampled_from([str, lambda s: s.upper()]), STRENGTHS).map(
        lambda t: [str(t[0]), t[1](str(t[0])), "friend", t[2]]
    ),
)
FILES = {
    INTERACTIONS.stem: (INTERACTIONS, INTERACTION_LINES),
    SOCIAL_EDGES.stem: (SOCIAL_EDGES, EDGE_LINES),
}


@pytest.mark.parametrize("stem", list(FILES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_block_encoder_reads_lines_as_rowparser(stem: str, data: st.DataObject) -> None:
    """Whatever it takes, RowParser takes and reads to the same values."""
    spec, lines = FILES[stem]
    rows = data.draw(st.lists(lines, min_size=1, max_size=40))
    assume(all('"' not in field and "," not in field for row in rows for field in row))
    ok, encoded = encode_lines(spec, [",".join(row) for row in rows])
    for number, (fields, taken) in enumerate(zip(rows, ok, strict=True), 1):
        expected = row_by_row(spec, fields)
        if taken:
            assert expected is not None, fields
            assert same(encoded[number], expected), (fields, encoded[number], expected)
        else:
            assert number not in encoded


COMMON_INTERACTIONS = st.tuples(
    st.uuids(),
    st.uuids(),
    st.sampled_from(["view", "like", "interest"]),
    st.one_of(st.just(""), st.integers(0, 86_400).map(str)),
    st.one_of(st.just(""), VALID_TIMES),
).map(lambda t: [str(t[0]), str(t[1]).upper(), *t[2:]])
COMMON_EDGES = st.tuples(
    st.uuids(),
    st.uuids(),
    st.sampled_from(["friend", "mutual", "suggested"]),
    st.one_of(st.floats(0, 1).map(lambda f: f"{f:.6f}"), st.sampled_from(["0", "1", "0.5"])),
).map(lambda t: [str(t[0]), str(t[1]), *t[2:]])


@settings(max_examples=100, deadline=None)
@given(
    interactions=st.lists(COMMON_INTERACTIONS, min_size=1, max_size=20),
    edges=st.lists(COMMON_EDGES, min_size=1, max_size=20),
)
def test_the_common_spellings_take_the_fast_path(
    interactions: list[list[str]], edges: list[list[str]]
) -> None:
    assume(all(edge[0] != edge[1] for edge in edges))
    for spec, rows in ((INTERACTIONS, interactions), (SOCIAL_EDGES, edges)):
        ok, encoded = encode_lines(spec, [",".join(row) for row in rows])
        assert all(ok), [row for row, taken in zip(rows, ok, strict=True) if not taken]
        for number, fields in enumerate(rows, 1):
            expected = row_by_row(spec, fields)
            assert expected is not None and same(encoded[number], expected)


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
        ("2024-01-02t03:04:05z", False),  # RowParser's to read
        ("2024-01-02 03:04:05.5", True),
        ("2024-01-02T03:04:05+02:00", False),
    ],
)
def test_timestamp_edges(value: str, taken: bool) -> None:
    ok, encoded = encode_lines(INTERACTIONS, [f"{U},{V},like,1,{value}"])
    assert ok == [taken]
    if taken:
        expected = row_by_row(INTERACTIONS, [U, V, "like", "1", value])
        assert expected is not None and encoded[1][-1] == expected[-1]


# --- Files ------------------------------------------------------------------------------------


def read(spec: FileSpec, content: bytes, blocks: bool) -> tuple[list[tuple], Any, str | None]:
    """Rows (blocks decoded, sorted by line), the reader's error and the exception raised."""
    row_parser = parser()
    method = types.MethodType(spec.parse, row_parser)
    rows_reader = RowReader(spec, method, row_parser.block_encoder(spec) if blocks else None)
    source: Any = io.BytesIO(content)
    if content[:2] == b"\x1f\x8b":
        source = gzip.GzipFile(fileobj=source, mode="rb")
    rows: list[tuple] = []
    raised = None
    try:  # as open_binary reads
        for item in rows_reader.rows(io.BufferedReader(source, reader._BUFFER), "f.csv"):
            rows.extend(decode(spec, item) if isinstance(item, bytes) else [item])
    except BulkImportError as exc:
        raised = str(exc)
    return sorted(rows, key=lambda row: row[0]), rows_reader.error, raised


def assert_read_alike(spec: FileSpec, content: bytes) -> list[tuple]:
    fast = read(spec, content, blocks=True)
    slow = read(spec, content, blocks=False)
    assert fast[1:] == slow[1:]
    assert len(fast[0]) == len(slow[0])
    for a, b in zip(fast[0], slow[0], strict=True):
        assert same(a, b), (a, b)
    return fast[0]


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few lines, so that small files have many."""
    monkeypatch.setattr(reader, "_BUFFER", 512)
    monkeypatch.setattr(reader, "_BLOCK", 1024)


ODD_LINES = st.sampled_from(
    [b"", b"a,b", b'"x', b'y",1,2,3,4', b"\x00", b"\xff,1,2,3,4", b"\r", b"a\rb,1,2,3,4", b","]
)


@pytest.mark.usefixtures("small_blocks")
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    stem=st.sampled_from(list(FILES)),
    data=st.data(),
    line_end=st.sampled_from([b"\n", b"\r\n"]),
    final_newline=st.booleans(),
    gz=st.booleans(),
)
def test_files_read_in_blocks_as_row_by_row(
    stem: str, data: st.DataObject, line_end: bytes, final_newline: bool, gz: bool
) -> None:
    """Same rows, same error (line and message) wherever the odd lines fall: other spellings,
    bad values, quoted fields over several lines, blank lines, bad bytes, CRLF."""
    spec, odd = FILES[stem]
    common = COMMON_INTERACTIONS if spec is INTERACTIONS else COMMON_EDGES
    rows = data.draw(
        st.lists(
            st.one_of(common, common, common, odd).map(lambda row: ",".join(row).encode())
            | ODD_LINES,
            max_size=150,
        )
    )
    content = line_end.join([",".join(spec.columns).encode(), *rows])
    if final_newline:
        content += line_end
    assert_read_alike(spec, gzip.compress(content) if gz else content)


def big_file(rows: int, bad: dict[int, str]) -> bytes:
    """An interactions file of `rows` common rows, some lines (file line numbers) replaced."""
    lines = [",".join(INTERACTIONS.columns)]
    for number in range(2, rows + 2):
        user = uuid.UUID(int=number % 997 + 1)
        lines.append(bad.get(number, f"{user},{V},view,{number % 86400},2025-01-01T00:00:00Z"))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("line", "text", "message"),
    [
        (23_457, f"{U},{V},like,86401,", "dwell_time_seconds must be between 0 and 86400"),
        (23_457, f"{U},{V},like,1,2025-02-30T00:00:00", "occurred_at must be an ISO-8601"),
        (40_001, f"{U},{V},like,1", "expected 5 fields, found 4"),
        (2, f"{U},x,like,1,", "venue_id must be a UUID, not 'x'"),
        (50_001, f"{U},{V},LIKE,1,", "interaction_type must be one of interest, like, view"),
    ],
)
def test_a_bad_row_deep_in_a_big_file(line: int, text: str, message: str) -> None:
    content = big_file(50_000, {line: text, line + 7: "nonsense", 12_345: f"{{{U}}},{V},like,,"})
    rows = assert_read_alike(INTERACTIONS, gzip.compress(content, compresslevel=1))
    assert len(rows) == line - 2
    _rows, error, _raised = read(INTERACTIONS, content, blocks=True)
    assert error is not None and error[0] == line and error[1].startswith(message)


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"])
def test_a_big_file_is_read_in_blocks(line_end: bytes) -> None:
    """The fast path is taken (the odd rows come one by one), CRLF line ends too."""
    odd = f"{U.upper()},{V},like,5,2025-01-01T00:00:00+02:00"
    content = big_file(30_000, {100: odd}).replace(b"\n", line_end)
    row_parser = parser()
    method = types.MethodType(INTERACTIONS.parse, row_parser)
    rows_reader = RowReader(INTERACTIONS, method, row_parser.block_encoder(INTERACTIONS))
    items = list(rows_reader.rows(io.BufferedReader(io.BytesIO(content)), "f"))
    assert sum(isinstance(item, bytes) for item in items) >= 2
    assert [item[0] for item in items if isinstance(item, tuple)] == [100]


@pytest.mark.parametrize("cut", [-12, -40_000, -400_000])
def test_a_truncated_gzip_file_is_read_as_before(cut: int) -> None:
    """Up to where it can be read: a bad row there is reported, else the file is unreadable."""
    content = gzip.compress(big_file(60_000, {30_000: "nonsense"}), compresslevel=1)
    fast = read(INTERACTIONS, content[:cut], blocks=True)
    slow = read(INTERACTIONS, content[:cut], blocks=False)
    assert fast[1:] == slow[1:]
    assert len(fast[0]) == len(slow[0])


# --- Through the database ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_big_import_through_blocks(engine: Engine, tmp_path: Path) -> None:
    """Rows from blocks and one by one, errors with their line, checks in the database."""
    users = [f"{uuid.UUID(int=i + 1)},u{i},U,,," for i in range(997)]
    (tmp_path / "users.csv").write_text("\n".join([",".join(USERS.columns), *users, ""]))
    (tmp_path / "venues.csv").write_text(f"{','.join(VENUES.columns)}\n{V},V,,bar,1,1,,\n")
    console = Console(file=io.StringIO())
    import_directory(engine, tmp_path, console)
    (tmp_path / "users.csv").unlink()
    (tmp_path / "venues.csv").unlink()
    odd = f"{uuid.UUID(int=5)!s},{V.upper()},like,,2025-01-01T02:00:00+02:00"
    missing = f"{uuid.UUID(int=5000)},{V},like,1,"
    path = tmp_path / "interactions.csv.gz"
    path.write_bytes(gzip.compress(big_file(30_000, {20_000: missing, 25_000: "nonsense"})))
    with pytest.raises(BulkImportError) as caught:
        import_directory(engine, tmp_path, console)
    missing_id = uuid.UUID(int=5000)
    assert (
        str(caught.value) == f"interactions.csv.gz line 20000: user_id {missing_id}: user not found"
    )
    path.write_bytes(gzip.compress(big_file(30_000, {20_000: odd})))
    assert import_directory(engine, tmp_path, console) == {"interactions.csv.gz": 30_000}
    with engine.connect() as conn:
        count, dwell, first = conn.exec_driver_sql(
            "SELECT count(*), sum(dwell_time_seconds), min(occurred_at) FROM interactions"
        ).one()
    assert count == 30_000
    assert dwell == sum(n % 86400 for n in range(2, 30_002) if n != 20_000)
    assert first == datetime(2025, 1, 1, tzinfo=UTC)
