"""Finding the bulk files in a folder and reading their rows with line numbers."""

import codecs
import csv
import gzip
import io
import itertools
import operator
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from luna.bulk.errors import BulkImportError, RowError
from luna.bulk.formats import FILES, FileSpec, Row

_BUFFER = 1 << 16


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
def open_binary(path: Path, wrap: Callable[[BinaryIO], BinaryIO]) -> Iterator[BinaryIO]:
    """The file's bytes, gunzipped if it ends in .gz; `wrap` sees the bytes read from disk
    (the progress bar then counts compressed bytes, whose total is known up front)."""
    with path.open("rb") as raw:
        source = wrap(raw)
        if path.name.endswith(".gz"):
            with gzip.GzipFile(fileobj=source, mode="rb") as unzipped:
                yield io.BufferedReader(unzipped, _BUFFER)  # type: ignore[arg-type]
        else:
            yield io.BufferedReader(source, _BUFFER)  # type: ignore[arg-type]


@dataclass
class RowReader:
    """Parses the data rows of one file and stops at the first bad one.

    Iterating yields `(line, *values)`. A bad row does not raise: it ends the iteration and is
    kept in `error` as `(line, message)`, so the caller can still look for an earlier offending
    row among those already staged (a reference check, say) and report the first one. Line 1 is
    the header; a quoted field may span lines, a row's line is the one where it starts.
    """

    spec: FileSpec
    parse: Callable[[Sequence[str]], Row]
    error: tuple[int, str] | None = field(default=None, init=False)

    def rows(self, binary: BinaryIO, file_name: str) -> Iterator[Row]:
        lines = _utf8_lines(binary, file_name)
        reader = csv.reader(lines, strict=True)
        reorder = self._header(reader, file_name)
        expected = len(self.spec.columns)
        parse = self.parse
        line = reader.line_num
        try:
            for fields in reader:
                start, line = line + 1, reader.line_num
                if len(fields) != expected:
                    if not fields:  # a blank line
                        continue
                    self.error = (start, f"expected {expected} fields, found {len(fields)}")
                    return
                if reorder is not None:
                    fields = reorder(fields)
                try:
                    yield (start, *parse(fields))
                except RowError as exc:
                    self.error = (start, str(exc))
                    return
        except UnicodeDecodeError:
            self.error = (reader.line_num + 1, "not valid UTF-8")
        except csv.Error as exc:
            self.error = (line + 1, f"malformed CSV ({exc})")
        except (OSError, EOFError, zlib.error) as exc:  # a broken or truncated .gz
            raise _unreadable(file_name, exc) from None

    def _header(
        self, reader: Iterator[list[str]], file_name: str
    ) -> Callable[[Sequence[str]], Sequence[str]] | None:
        """Checks the header; returns how to put a row's fields in the spec's column order."""
        expected = self.spec.columns
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise BulkImportError(
                f"{file_name}: empty file; expected a header row: {','.join(expected)}"
            ) from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise BulkImportError(f"{file_name} line 1: unreadable header ({exc})") from None
        problems = []
        if missing := [name for name in expected if name not in header]:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown := [name for name in header if name not in expected]:
            problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
        if duplicated := sorted({name for name in header if header.count(name) > 1}):
            problems.append(f"repeated column(s) {', '.join(duplicated)}")
        if problems:
            raise BulkImportError(
                f"{file_name} line 1: {'; '.join(problems)} (expected {','.join(expected)})"
            )
        order = [header.index(name) for name in expected]
        return None if order == list(range(len(expected))) else operator.itemgetter(*order)


def _utf8_lines(binary: BinaryIO, file_name: str) -> Iterator[str]:
    """Decoded line by line, so a bad byte is reported on its own line (a leading BOM is
    dropped: spreadsheets write one)."""
    lines = iter(binary)
    try:
        first = next(lines, None)
    except (OSError, EOFError, zlib.error) as exc:
        raise _unreadable(file_name, exc) from None
    if first is None:
        return iter(())
    return map(bytes.decode, itertools.chain((first.removeprefix(codecs.BOM_UTF8),), lines))


def _unreadable(file_name: str, exc: Exception) -> BulkImportError:
    return BulkImportError(f"{file_name}: cannot read the file ({exc})")
