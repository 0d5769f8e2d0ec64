"""Finding the bulk files in a folder and reading their rows, with line numbers, by pyarrow.

pyarrow's CSV reader parses a file in blocks of rows (`_BLOCK` bytes of text at a time) into
text columns; `luna.bulk.formats` checks and converts them. Arrow does not count lines, so each
row's line is counted from what Arrow gives: a row takes one line plus the line breaks inside
its quoted values, and a blank line comes as a row of empty fields (then skipped). A row with
the wrong number of fields, or bytes that are not UTF-8, stop the reading; the file is then read
again with Python's csv module up to that row, to name its line.
"""

import codecs
import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from luna.bulk.errors import BulkImportError
from luna.bulk.formats import FILES, FileSpec

_BLOCK = 32 << 20  # bytes of text per block: ~300,000 interactions


def find_files(directory: Path) -> list[tuple[FileSpec, Path]]:
    """The bulk files present in `directory`, in load order (`name.csv` or `name.csv.gz`)."""
    if not directory.is_dir():
        raise BulkImportError(f"{directory}: not a folder")
    found = []
    for spec in FILES:
        candidates = [
            path
            for path in (directory / f"{spec.stem}.csv", directory / f"{spec.stem}.csv.gz")
            if path.is_file()
        ]
        if len(candidates) > 1:
            raise BulkImportError(
                f"{directory}: both {spec.stem}.csv and {spec.stem}.csv.gz; keep only one"
            )
        found.extend((spec, path) for path in candidates)
    if not found:
        names = ", ".join(f"{spec.stem}.csv" for spec in FILES)
        raise BulkImportError(f"{directory}: none of {names} (or .csv.gz) found")
    return found


@contextmanager
def _text_lines(path: Path) -> Iterator[IO[str]]:
    """The file's text (gunzipped if it ends in .gz), lines split at LF, CRLF and CR as both
    readers split them; a bad byte becomes a lone surrogate (\\udc80-\\udcff)."""
    with path.open("rb") as raw:
        binary: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if _gzipped(path) else raw  # type: ignore[assignment]
        yield io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape", newline="")


def _gzipped(path: Path) -> bool:
    return path.name.endswith(".gz")


_UNDECODED = re.compile("[\udc80-\udcff]")


@dataclass
class BulkFile:
    """One bulk file, read as Arrow tables ready for staging (`line` first, then the columns).

    Reading stops after the first bad row: the rows before it are yielded, and `error` keeps
    `(line, message)`, so that the caller can still look for an earlier offending row among
    those staged (a reference check, say) and report the first one.
    """

    spec: FileSpec
    path: Path
    now: datetime
    error: tuple[int, str] | None = field(default=None, init=False)
    _bad_rows: list[tuple[int, int]] = field(default_factory=list, init=False)
    _wrong: tuple[int, str] | None = field(default=None, init=False)

    @property
    def name(self) -> str:
        return self.path.name

    def tables(self, wrap: Callable[[BinaryIO], BinaryIO] = lambda raw: raw) -> Iterator[pa.Table]:
        """`wrap` sees the bytes read from disk (a progress bar: compressed bytes, whose total
        is known up front)."""
        header = self._header()
        with self.path.open("rb") as raw:
            stream: pa.NativeFile = pa.PythonFile(wrap(raw), mode="r")
            if _gzipped(self.path):
                stream = pa.CompressedInputStream(stream, "gzip")
            try:
                reader = pa_csv.open_csv(
                    stream,
                    read_options=pa_csv.ReadOptions(
                        column_names=header, skip_rows=1, block_size=_BLOCK
                    ),
                    parse_options=pa_csv.ParseOptions(
                        newlines_in_values=True,
                        ignore_empty_lines=False,  # counted as lines (see _lines)
                        invalid_row_handler=self._invalid_row,
                    ),
                    convert_options=pa_csv.ConvertOptions(
                        column_types=dict.fromkeys(header, pa.string()),
                        include_columns=list(self.spec.columns),
                        strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                    ),
                )
            except pa.ArrowInvalid as exc:  # Arrow reads the first block to open the file
                if "Empty CSV file" not in str(exc):  # (not a header alone)
                    self._not_readable(exc)
                return
            except OSError as exc:
                raise self._unreadable(exc) from None
            yield from self._read(reader)

    def _read(self, reader: pa_csv.CSVStreamingReader) -> Iterator[pa.Table]:
        next_line = 2  # the header is line 1
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                self._not_readable(exc)
                return
            except OSError as exc:  # a broken or truncated .gz
                raise self._unreadable(exc) from None
            columns = batch.columns
            lines, next_line = _lines(columns, next_line)
            keep = _not_blank(columns)
            # Arrow skipped a row with the wrong field count (in this block or one read ahead):
            # the rows from its line on are not read (their lines, counted without it, are
            # too small by its own but still not below it).
            wrong = self._wrong_field_count() if self._bad_rows else None
            if wrong is not None:
                keep = pc.and_(keep, pa.array(lines < wrong[0]))
            if not pc.all(keep).as_py():
                columns = [column.filter(keep) for column in columns]
                lines = lines[np.asarray(keep)]
            staged, problem = self.spec.validate(columns, self.now)
            yield staged.add_column(0, "line", pa.array(lines[: staged.num_rows]))
            if problem is not None:
                self.error = (int(lines[problem.row]), problem.message)
                return
            if wrong is not None and next_line > wrong[0]:
                self.error = wrong
                return
        if self._bad_rows:
            self.error = self._wrong_field_count()

    def _not_readable(self, exc: pa.ArrowInvalid) -> None:
        """Arrow could not read a block: bytes that are not UTF-8, a quote left open (a row
        larger than a block), or worse."""
        if "invalid UTF8" in str(exc):
            self.error = (self._first_undecodable_line(), "not valid UTF-8")
            if self._bad_rows:
                self.error = min(self.error, self._wrong_field_count())
        elif (malformed := self._malformed_row()) is not None:
            self.error = malformed
        else:
            raise self._unreadable(exc) from None

    def _invalid_row(self, row: pa_csv.InvalidRow) -> str:
        """A row with the wrong number of fields: noted and skipped (Arrow does not say where
        it is; _wrong_field_count finds it)."""
        self._bad_rows.append((row.expected_columns, row.actual_columns))
        return "skip"

    def _header(self) -> list[str]:
        """The header's column names; checks them against the spec."""
        expected = self.spec.columns
        try:
            with _text_lines(self.path) as text:
                first = text.readline()
        except (OSError, EOFError, zlib.error) as exc:
            raise self._unreadable(exc) from None
        if not first:
            raise BulkImportError(
                f"{self.name}: empty file; expected a header row: {','.join(expected)}"
            )
        if _UNDECODED.search(first):
            raise BulkImportError(f"{self.name} line 1: unreadable header (not valid UTF-8)")
        try:
            names = next(csv.reader([first.removeprefix(codecs.BOM_UTF8.decode())]))
        except csv.Error as exc:
            raise BulkImportError(f"{self.name} line 1: unreadable header ({exc})") from None
        header = [name.strip() for name in names]
        problems = []
        if missing := [name for name in expected if name not in header]:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown := [name for name in header if name not in expected]:
            problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
        if duplicated := sorted({name for name in header if header.count(name) > 1}):
            problems.append(f"repeated column(s) {', '.join(duplicated)}")
        if problems:
            raise BulkImportError(
                f"{self.name} line 1: {'; '.join(problems)} (expected {','.join(expected)})"
            )
        return header

    def _first_undecodable_line(self) -> int:
        with _text_lines(self.path) as text:
            for number, line in enumerate(text, 1):
                if _UNDECODED.search(line):
                    return number
        return 1  # not reached: Arrow found one

    def _wrong_field_count(self) -> tuple[int, str]:
        """The line and message of the first row with the wrong number of fields (which Arrow
        skipped: see _invalid_row)."""
        if self._wrong is None:
            self._wrong = self._malformed_row() or (0, "")
        return self._wrong

    def _malformed_row(self) -> tuple[int, str] | None:
        """The line and message of the first row with the wrong number of fields or a quote
        left open, read again with the csv module (the rows before it are those Arrow read)."""
        expected = len(self.spec.columns)
        with _text_lines(self.path) as text:
            reader = csv.reader(text, strict=True)  # a quote left open is malformed
            next(reader)  # the header
            start = reader.line_num + 1
            try:
                for fields in reader:
                    if fields and len(fields) != expected:
                        return start, f"expected {expected} fields, found {len(fields)}"
                    start = reader.line_num + 1
            except csv.Error as exc:
                return start, f"malformed CSV ({exc})"
        return None

    def _unreadable(self, exc: Exception) -> BulkImportError:
        return BulkImportError(f"{self.name}: cannot read the file ({exc})")


def _lines(columns: list[pa.Array], first: int) -> tuple[np.ndarray, int]:
    """The line of each row (the first starts on line `first`), and the line after the last:
    a row takes one line and the line breaks (LF, CRLF or CR) inside its quoted values."""
    rows = len(columns[0]) if columns else 0
    lines = np.arange(first, first + rows, dtype=np.int64)
    breaks = np.zeros(rows, dtype=np.int64)
    for column in columns:
        text = np.frombuffer(column.buffers()[2] or b"", np.uint8)  # the values, end to end
        if (text == ord("\n")).any() or (text == ord("\r")).any():
            breaks += np.asarray(pc.count_substring_regex(column, "\r\n|\r|\n"), dtype=np.int64)
    if breaks.any():
        lines += np.concatenate(([0], np.cumsum(breaks)[:-1]))
    return lines, int(lines[-1] + breaks[-1] + 1) if rows else first


def _not_blank(columns: list[pa.Array]) -> pa.Array:
    """Rows with a field that is not empty (a blank line is a row of empty fields)."""
    filled = pc.not_equal(columns[0], "")
    for column in columns[1:]:
        filled = pc.or_(filled, pc.not_equal(column, ""))
    return filled
