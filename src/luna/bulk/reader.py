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
from typing import TYPE_CHECKING, BinaryIO

from luna.bulk.errors import BulkImportError, RowError
from luna.bulk.formats import FILES, BlockEncoder, FileSpec, Row

if TYPE_CHECKING:
    import _csv

_BUFFER = 1 << 16
_BLOCK = 1 << 20  # bytes of lines per block (see RowReader)


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

    With `blocks` (formats.BlockEncoder: PostgreSQL, the big files), the file is read in
    blocks and the rows in the common spelling come as `bytes` instead: many rows in binary
    COPY format, line numbers included. The other rows of a block still come one by one from
    `parse`, and the rows before a bad one are exactly those yielded, in either form.
    """

    spec: FileSpec
    parse: Callable[[Sequence[str]], Row]
    blocks: BlockEncoder | None = None  # RowParser.block_encoder's, if the file has one
    error: tuple[int, str] | None = field(default=None, init=False)

    def rows(self, binary: BinaryIO, file_name: str) -> Iterator[Row | bytes]:
        lines = _utf8_lines(binary, file_name)
        reader = csv.reader(lines, strict=True)
        reorder = self._header(reader, file_name)
        # Blocks start after the header, which must then be one line in the usual order.
        if self.blocks is not None and reorder is None and reader.line_num == 1:
            yield from self._block_rows(self.blocks, binary, file_name)
        else:
            yield from self._csv_rows(reader, 0, reorder, file_name)

    def _csv_rows(
        self,
        reader: "_csv.Reader",
        offset: int,
        reorder: Callable[[Sequence[str]], Sequence[str]] | None,
        file_name: str,
    ) -> Iterator[Row]:
        """The rows `reader` reads, whose line 1 is the file's line `offset + 1`."""
        expected = len(self.spec.columns)
        parse = self.parse
        line = offset + reader.line_num
        try:
            for fields in reader:
                start, line = line + 1, offset + reader.line_num
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
            self.error = (offset + reader.line_num + 1, "not valid UTF-8")
        except csv.Error as exc:
            self.error = (line + 1, f"malformed CSV ({exc})")
        except (OSError, EOFError, zlib.error) as exc:  # a broken or truncated .gz
            raise _unreadable(file_name, exc) from None

    def _block_rows(
        self, encode: BlockEncoder, binary: BinaryIO, file_name: str
    ) -> Iterator[Row | bytes]:
        line = 1  # the lines read so far
        for block, failure in _blocks(binary):
            if b'"' in block:
                # A quoted field may span lines, and blocks: the csv module reads the rest.
                rest = _raising(failure) if failure is not None else binary
                lines = map(bytes.decode, itertools.chain(io.BytesIO(block), rest))
                yield from self._csv_rows(csv.reader(lines, strict=True), line, None, file_name)
                return
            if block:
                if b"\r" in block and b"\r" not in (unix := block.replace(b"\r\n", b"\n")):
                    block = unix  # the csv module reads CRLF line ends as LF
                encoded = encode(block)
                # The lines it did not take, one by one (each is a row: there are no quotes).
                single_rows: list[Row] = []
                before = encoded.lines
                for index, text in encoded.others():
                    reader = csv.reader(map(bytes.decode, (text,)), strict=True)
                    single_rows.extend(self._csv_rows(reader, line + index, None, file_name))
                    if self.error is not None:
                        before = index
                        break
                if payload := encoded.rows(line + 1, before):
                    yield payload
                yield from single_rows
                if self.error is not None:
                    return
                line += encoded.lines
            if failure is not None:
                raise _unreadable(file_name, failure)

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


def _blocks(binary: BinaryIO) -> Iterator[tuple[bytes, Exception | None]]:
    """The file's complete lines, about _BLOCK bytes at a time.

    When the file cannot be read further (a broken or truncated .gz), the last block holds the
    complete lines read before, with the error: as when reading line by line, which reads the
    same _BUFFER-sized pieces (`read1` of a BufferedReader reads one piece at most).
    """
    while True:
        pieces: list[bytes] = []
        size = 0
        try:
            while size < _BLOCK and (piece := binary.read1(_BUFFER)):  # type: ignore[attr-defined]
                pieces.append(piece)
                size += len(piece)
            if pieces and not pieces[-1].endswith(b"\n"):
                pieces.append(binary.readline())  # the rest of the last line
        except (OSError, EOFError, zlib.error) as exc:
            data = b"".join(pieces)
            yield data[: data.rfind(b"\n") + 1], exc
            return
        if not pieces:
            return
        yield b"".join(pieces), None


def _raising(failure: Exception) -> Iterator[bytes]:
    raise failure
    yield b""  # a generator


def _unreadable(file_name: str, exc: Exception) -> BulkImportError:
    return BulkImportError(f"{file_name}: cannot read the file ({exc})")
