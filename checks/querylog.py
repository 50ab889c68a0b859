"""Streaming reader for the learner's query log: JSON Lines, or CSV with the same columns.

One request per line. The reader streams the file half a megabyte at a time (memory
does not grow with the number of lines), names the file and line of every bad record,
keeps going past them, and lets the caller decide when too many are bad. A piece of
plain, valid lines is decoded and type-checked by msgspec in one call; a piece with
anything unusual in it is read line by line, and the two give the same records.
The fields are documented in ``schemas/query_log_record.schema.json``; the
checks here mirror that schema (the tests hold the two in agreement), because
validating every line with a general schema validator would dominate the time
of a million-line log.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Iterator, Literal, Optional, Union

try:
    import msgspec
except ImportError:  # the command line names the missing dependency; the reader then uses json alone
    msgspec = None

from .errors import InputError
from .files import open_regular

LOG_FILES = ["query_log.jsonl", "query_log.ndjson", "query_log.csv"]


@dataclass(frozen=True)
class Layer:
    """One value of ``cache_layer``: the layer that answered a request, and what the request paid."""

    name: str
    label: str  # as charts and sentences name it
    pays_embedding: bool  # the query's vector
    pays_retrieval: bool  # the vector search for context
    pays_llm: bool  # the model call


# The one table of cache layers, outermost first; every module that needs the layers reads it.
LAYER_TABLE = (
    Layer("response", "response hit", pays_embedding=False, pays_retrieval=False, pays_llm=False),
    Layer("semantic", "semantic hit", pays_embedding=True, pays_retrieval=False, pays_llm=False),
    Layer("embedding", "embedding hit", pays_embedding=False, pays_retrieval=True, pays_llm=True),
    Layer("context", "context hit", pays_embedding=False, pays_retrieval=False, pays_llm=True),
    Layer("none", "full miss", pays_embedding=True, pays_retrieval=True, pays_llm=True),
)
LAYERS = tuple(layer.name for layer in LAYER_TABLE)
HIT_LAYERS = tuple(layer.name for layer in LAYER_TABLE if layer.name != "none")
BY_LAYER = {layer.name: layer for layer in LAYER_TABLE}
MAX_LINE_BYTES = 1024 * 1024  # one request; a longer line is a broken file, not a query
MAX_PROBLEMS_KEPT = 5
# Bounds that keep one absurd line from breaking the arithmetic of the whole log.
MAX_TS = 253_402_214_400.0  # 9999-12-31T00:00:00Z: later times cannot be shown as dates
MAX_TOKENS = 10 ** 9  # per request; no context window comes near
MAX_AMOUNT = 1e9  # cost_usd and latency_ms per request
MAX_DIMENSIONS = 16_384
_INT_FIELDS = ("input_tokens", "output_tokens", "embedding_tokens", "cached_input_tokens")
_NUM_FIELDS = ("cost_usd", "latency_ms")
_STR_FIELDS = ("query", "model", "embedding_model")


# One request of the log, validated: ts in Unix seconds (UTC); cached_input_tokens is the part of
# input_tokens read from the provider's prompt cache. A msgspec struct (built in C, several times faster
# than a dataclass), or a dataclass of the same fields where msgspec is missing.
_RECORD_FIELDS = [("ts", float), ("query", Optional[str]), ("cache_layer", Optional[str])] + [
    (name, kind, None) for name, kind in (
        ("model", Optional[str]), ("input_tokens", Optional[int]), ("output_tokens", Optional[int]),
        ("embedding_model", Optional[str]), ("embedding_tokens", Optional[int]),
        ("cached_input_tokens", Optional[int]), ("cost_usd", Optional[float]), ("latency_ms", Optional[float]),
        ("embedding", Optional[list]))]
if msgspec is not None:
    Record = msgspec.defstruct("Record", _RECORD_FIELDS, module=__name__, gc=False)  # holds no containers
    # of objects, so it cannot be part of a cycle; untracked, a million of them cost the collector nothing
else:
    from dataclasses import make_dataclass

    Record = make_dataclass("Record", [f if len(f) == 2 else (f[0], f[1], field(default=None))
                                       for f in _RECORD_FIELDS], slots=True)


class BadRecord(ValueError):
    pass


def parse_ts(value: object) -> float:
    if isinstance(value, bool):
        raise BadRecord("ts must be an ISO-8601 time or Unix seconds")
    if isinstance(value, (int, float)):
        return _unix(value, value)
    if isinstance(value, str):
        text = value.strip()
        if not ("-" in text[1:] or "T" in text or "t" in text):  # not a date: perhaps Unix seconds
            try:
                number = float(text)
            except ValueError:
                pass
            else:
                return _unix(number, value)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise BadRecord(f"ts {_show(value)} is neither an ISO-8601 time nor Unix seconds") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)  # a log without a zone is taken as UTC
        try:
            return _unix(moment.timestamp(), value)
        except OverflowError:
            raise BadRecord(f"ts {_show(value)} is outside the years 1970–9998") from None
    raise BadRecord("ts is missing" if value is None else f"ts must be a time, not {type(value).__name__}")


def _show(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _unix(seconds: float | int, shown: object) -> float:
    try:
        seconds = float(seconds)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds) or not 0 <= seconds < MAX_TS:
        raise BadRecord(f"ts {_show(shown)} is not a Unix time between 1970 and 9998")
    return seconds


def _non_negative(name: str, value: object, whole: bool) -> int | float:
    """A count (``whole``) or an amount, from a JSON number or a CSV string; never negative."""
    if type(value) is int and 0 <= value <= (MAX_TOKENS if whole else MAX_AMOUNT):
        return value if whole else float(value)  # the usual case, checked in one step
    kind = "whole number" if whole else "number"
    if isinstance(value, str):
        if len(value) > 40:
            raise BadRecord(f"{name} {_show(value)} is not a {kind} of sane size")
        try:
            value = int(value) if whole else float(value)
        except ValueError:
            raise BadRecord(f"{name} {_show(value)} is not a {kind}") from None
    ok_types = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, ok_types):
        raise BadRecord(f"{name} must be a {kind} ≥ 0, not {_show(value)}")
    top = MAX_TOKENS if whole else MAX_AMOUNT
    if isinstance(value, int) and value.bit_length() > 64:
        raise BadRecord(f"{name} is an integer of {len(str(value))} digits, more than any request has")
    if not math.isfinite(value) or value < 0:
        raise BadRecord(f"{name} must be a finite {kind} ≥ 0, not {_show(value)}")
    if value > top:
        raise BadRecord(f"{name} {_show(value)} is more than one request can have (at most {top:,.0f})")
    return value if whole else float(value)


def to_record(obj: object) -> Record:
    """Validate one decoded record (a JSON object or a CSV row of strings)."""
    if not isinstance(obj, dict):
        raise BadRecord(f"a record must be a JSON object, not {type(obj).__name__}")
    get = obj.get
    rec = Record(parse_ts(get("ts")), None, None)
    for name in _STR_FIELDS:
        value = get(name)
        if value is not None and value != "":
            if not isinstance(value, str):
                raise BadRecord(f"{name} must be a string, not {type(value).__name__}")
            setattr(rec, name, value)
    layer = get("cache_layer")
    if layer is not None and layer != "":
        if layer not in LAYERS:
            raise BadRecord(f"cache_layer {_show(layer)} is not one of {', '.join(LAYERS)}")
        rec.cache_layer = layer
    for name, whole in [(n, True) for n in _INT_FIELDS] + [(n, False) for n in _NUM_FIELDS]:
        value = get(name)
        if value is not None and value != "":
            setattr(rec, name, _non_negative(name, value, whole))
    if rec.cached_input_tokens is not None and (rec.input_tokens is None or rec.cached_input_tokens > rec.input_tokens):
        raise BadRecord("cached_input_tokens is part of input_tokens, so it cannot exceed it"
                        + ("" if rec.input_tokens is not None else " (input_tokens is missing)"))
    vector = get("embedding")
    if vector is not None and vector != "":
        if isinstance(vector, str):
            try:
                vector = loads(vector)
            except (ValueError, RecursionError):
                raise BadRecord("embedding must be a JSON array of numbers") from None
        if (not isinstance(vector, list) or not vector
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector)):
            raise BadRecord("embedding must be a non-empty array of numbers")
        if len(vector) > MAX_DIMENSIONS:
            raise BadRecord(f"embedding has {len(vector):,} dimensions, more than {MAX_DIMENSIONS:,}")
        try:
            finite = all(map(math.isfinite, vector))
        except OverflowError:  # an integer too large for a float
            finite = False
        if not finite:
            raise BadRecord("embedding holds a number that is not finite")
        rec.embedding = vector
    return rec


if msgspec is not None:
    _Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)]
    _Amount = Annotated[float, msgspec.Meta(ge=0, le=MAX_AMOUNT)]
    _Text = Annotated[str, msgspec.Meta(min_length=1)]  # an empty string is left to the full reader
    _Layer = Literal[LAYERS]  # type: ignore[valid-type]
    # A time with a zone (one without is taken as UTC, which the full reader says), or Unix seconds in range.
    _Time = Union[Annotated[datetime, msgspec.Meta(tz=True)], Annotated[float, msgspec.Meta(ge=0, lt=MAX_TS)]]

    class _Line(Record, forbid_unknown_fields=True, gc=False):
        """A plain log line, as msgspec decodes and type-checks it in one pass (integers become floats
        where a float is wanted, as the full validation does). A Record itself once ``_seconds`` has
        turned its time into seconds; a line that carries a vector is left to the full reader."""

        ts: _Time
        query: Union[_Text, None] = None
        cache_layer: Union[_Layer, None] = None
        model: Union[_Text, None] = None
        input_tokens: Union[_Count, None] = None
        output_tokens: Union[_Count, None] = None
        embedding_model: Union[_Text, None] = None
        embedding_tokens: Union[_Count, None] = None
        cached_input_tokens: Union[_Count, None] = None
        cost_usd: Union[_Amount, None] = None
        latency_ms: Union[_Amount, None] = None
        embedding: None = None

    _LINE = msgspec.json.Decoder(_Line)
    _DECODE_ERRORS: tuple = (msgspec.MsgspecError, ValueError, RecursionError)  # malformed, not UTF-8, a
    # wrong type, out of bounds, an unknown field, nested too deep
else:
    _LINE = None


def _seconds(line: Record) -> bool:
    """Finish a decoded plain line in place: its time in Unix seconds, and the check msgspec cannot make
    (the cached part of the prompt within the prompt). False: leave the line to the full reader."""
    ts = line.ts
    if type(ts) is not float:
        try:
            ts = line.ts = ts.timestamp()
        except (ValueError, OverflowError):
            return False
        if not 0 <= ts < MAX_TS:
            return False
    cached = line.cached_input_tokens
    return cached is None or (line.input_tokens is not None and cached <= line.input_tokens)


def _fast_line(raw: bytes) -> Record | None:
    """The record of a plain, valid line; ``None`` for anything less usual (a vector, an unknown field, an
    empty string, a string number, a time without a zone, anything wrong), which ``to_record`` then reads
    and, where it is wrong, names. The two agree on every line this accepts (a test holds them to it; a time
    given to the nanosecond may round to the other microsecond)."""
    if _LINE is None:
        return None
    try:
        line = _LINE.decode(raw)
    except _DECODE_ERRORS:
        return None
    return line if _seconds(line) else None


# A line of nothing but JSON whitespace: it holds no record, so a piece that has one cannot be checked by
# counting its records against its lines, and goes line by line.
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")
_BLANK_FIRST = re.compile(rb"[ \t\r]*\n")


def _fast_piece(block: bytes, end: int, newlines: int) -> list[Record] | None:
    """The records of ``block[:end]`` (whole lines, ``newlines`` of them ending with one) decoded in one
    call; ``None`` unless every line is plain and valid by ``_fast_line``'s rules (the lines are then read
    one by one). Each line must give exactly one record: msgspec reads ``{..}{..}`` on one line as two, so
    the records are counted against the lines, and a piece with a blank line is not counted at all."""
    if _LINE is None or _BLANK_FIRST.match(block, 0, end) or _BLANK_LINE.search(block, 0, end):
        return None
    try:
        lines = _LINE.decode_lines(memoryview(block)[:end])
    except _DECODE_ERRORS:
        return None
    if len(lines) != newlines + (block[end - 1] != 10):
        return None
    for line in lines:
        if not _seconds(line):
            return None
    return lines


def _reject_constant(token: str) -> None:
    raise BadRecord(f"{token} is not a number (JSON has no NaN or Infinity)")


def loads(text: str) -> object:
    """One JSON value; NaN and Infinity are bad records, not numbers."""
    return json.loads(text, parse_constant=_reject_constant)


@dataclass
class ReadStats:
    lines: int = 0  # non-blank lines (CSV: data rows)
    bad: int = 0
    problems: list[str] | None = None

    def note(self, where: str, message: str) -> None:
        self.bad += 1
        if self.problems is None:
            self.problems = []
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(f"{where}: {message}")


_BLOCK = 1 << 19


def _too_long(path: Path, lineno: int) -> InputError:
    return InputError(f"{path}, line {lineno}: a line of more than {MAX_LINE_BYTES:,} bytes is not one request",
                      "Check that this is a query log with one request per line.")


def _pieces(path: Path) -> Iterator[tuple[int, bytes, int, int]]:
    """The file in pieces of whole lines, streamed a block at a time: ``(lines before it, block, end,
    newlines in it)``, the piece being ``block[:end]``. Every piece ends with ``\n`` but perhaps the
    file's last. A line is never split, and one longer than ``MAX_LINE_BYTES`` is refused as soon as that
    many bytes have been read, never held whole (a line inside a piece is measured by ``_split``, and a
    piece shorter than the limit needs no measuring)."""
    with open_regular(path) as fh:
        lineno = 0
        carry = b""
        while True:
            try:
                block = fh.read(_BLOCK)
            except OSError as exc:
                raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from exc
            if not block:
                break
            if carry:
                block = carry + block
            end = block.rfind(b"\n") + 1
            if end:
                count = block.count(b"\n", 0, end)
                yield lineno, block, end, count
                lineno += count
            carry = block[end:] if end else block  # the unfinished last line ("" when the block ends one)
            if len(carry) > MAX_LINE_BYTES:
                raise _too_long(path, lineno + 1)
        if carry:
            yield lineno, carry, len(carry), 0


def _split(path: Path, before: int, block: bytes, end: int) -> tuple[list[bytes], bool]:
    """The lines of one piece without their ``\n``, and whether its last line had one (only the file's
    last line may not). A line over the limit is refused with its number."""
    lines = block[:end].split(b"\n")
    complete = block[end - 1] == 10
    if complete:
        lines.pop()  # the "" after the piece's last newline
    ended = lines if complete else lines[:-1]  # the last line without a newline was measured by _pieces
    if ended and max(map(len, ended)) >= MAX_LINE_BYTES:  # with its newline, more than MAX_LINE_BYTES
        raise _too_long(path, before + 1 + next(i for i, raw in enumerate(ended) if len(raw) >= MAX_LINE_BYTES))
    return lines, complete


def _raw_lines(path: Path, keepends: bool = True) -> Iterator[tuple[int, bytes]]:
    """The file's lines as bytes (split on ``\n`` only), as ``readline`` gives them; ``keepends=False``
    drops each line's ``\n``, which JSON Lines does not need. A line over the limit is refused."""
    for before, block, end, _ in _pieces(path):
        lines, complete = _split(path, before, block, end)
        last = len(lines) - 1
        for i, raw in enumerate(lines):
            yield before + 1 + i, (raw + b"\n" if keepends and (complete or i < last) else raw)


def precheck(path: Path) -> None:
    """Refuse, before the log is hashed or parsed, a file whose first line already shows it is no
    log (binary, or longer than any request): a sparse or binary file of gigabytes costs nothing."""
    for lineno, raw in _raw_lines(path):  # raises for a line over MAX_LINE_BYTES
        if b"\x00" in raw:
            _decode(raw, lineno, path)  # raises: binary data
        return


def _decode(raw: bytes, lineno: int, path: Path) -> str:
    """One line's text. A NUL byte means a binary file (an error for the whole file); bytes that are
    not UTF-8 make one bad line (``BadRecord``): a line written by another tool is not a broken log."""
    if b"\x00" in raw:
        raise InputError(f"{path}, line {lineno}: binary data, not a text log",
                         "The query log must be UTF-8 JSON Lines or CSV.")
    try:
        return raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise BadRecord(f"not valid UTF-8 text (byte {exc.start + 1} of the line)") from None


class _Dimensions:
    """Every vector in one log must have the length of the first."""

    def __init__(self) -> None:
        self.size: int | None = None

    def check(self, rec: Record) -> Record:
        if rec.embedding is not None:
            if self.size is None:
                self.size = len(rec.embedding)
            elif len(rec.embedding) != self.size:
                raise BadRecord(f"embedding has {len(rec.embedding):,} dimensions where the log's first vector "
                                f"has {self.size:,}")
        return rec


def read(path: Path, stats: ReadStats) -> Iterator[Record]:
    """Yield the good records of ``path``; count and describe the bad ones in ``stats``."""
    for records in read_pieces(path, stats):
        yield from records


CSV_PIECE = 4096  # CSV rows handed on at a time


def read_pieces(path: Path, stats: ReadStats) -> Iterator[list[Record]]:
    """The good records of ``path`` a list at a time (a piece of the file each, never empty), for callers
    that work on many at once; bad ones are counted and described in ``stats``."""
    name = path.name
    dims = _Dimensions()
    if path.suffix.lower() == ".csv":
        records = []
        for rec in _read_csv(path, name, stats, dims):
            records.append(rec)
            if len(records) >= CSV_PIECE:
                yield records
                records = []
        if records:
            yield records
        return
    for before, block, end, newlines in _pieces(path):
        if before and end < MAX_LINE_BYTES:  # not line 1, which may open with a byte-order mark
            records = _fast_piece(block, end, newlines)
            if records is not None:
                stats.lines += len(records)
                if records:
                    yield records
                continue
        lines, _ = _split(path, before, block, end)
        records = []
        for lineno, raw in enumerate(lines, before + 1):
            if raw.strip():
                stats.lines += 1
                rec = _one_line(path, name, lineno, raw, stats, dims)
                if rec is not None:
                    records.append(rec)
        if records:
            yield records


def _one_line(path: Path, name: str, lineno: int, raw: bytes, stats: ReadStats, dims: _Dimensions) -> Record | None:
    """The record of one non-blank line; ``None`` for a bad one, which is counted and named in ``stats``."""
    if lineno > 1 and b"\x00" not in raw:  # line 1 may open with a byte-order mark
        rec = _fast_line(raw)
        if rec is not None:
            return rec
    try:
        obj = loads(_decode(raw, lineno, path))
    except json.JSONDecodeError as exc:
        stats.note(f"{name}, line {lineno}", f"malformed JSON ({exc.msg}, column {exc.colno})")
        return None
    except BadRecord as exc:
        stats.note(f"{name}, line {lineno}", str(exc))
        return None
    except (ValueError, RecursionError) as exc:  # nesting too deep, an integer too long to convert
        stats.note(f"{name}, line {lineno}", "malformed JSON (" + ("nested too deeply" if isinstance(
            exc, RecursionError) else _show(str(exc), 80)) + ")")
        return None
    try:
        return dims.check(to_record(obj))
    except BadRecord as exc:
        stats.note(f"{name}, line {lineno}", str(exc))
        return None


def _text_lines(path: Path, name: str, stats: ReadStats) -> Iterator[str]:
    """Decoded lines for the CSV reader; an undecodable line is noted and read as blank."""
    for lineno, raw in _raw_lines(path):
        try:
            yield _decode(raw, lineno, path)
        except BadRecord as exc:
            stats.lines += 1
            stats.note(f"{name}, line {lineno}", str(exc))
            yield "\n"


def _read_csv(path: Path, name: str, stats: ReadStats, dims: _Dimensions) -> Iterator[Record]:
    reader = csv.reader(_text_lines(path, name, stats))
    try:
        header = next(reader, None)
        if header is None:
            return
        columns = [c.strip() for c in header]
        if "ts" not in columns:
            raise InputError(f"{name}, line 1: the CSV header has no 'ts' column ({_show(', '.join(columns), 200)})",
                             "The first line names the columns: ts,query,cache_layer,model,...")
        for row in reader:
            lineno = reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            stats.lines += 1
            if len(row) != len(columns):
                stats.note(f"{name}, line {lineno}", f"{len(row)} fields where the header has "
                           f"{len(columns)} (a query holding a comma must be in double quotes)")
                continue
            try:
                yield dims.check(to_record(dict(zip(columns, row))))
            except BadRecord as exc:
                stats.note(f"{name}, line {lineno}", str(exc))
    except csv.Error as exc:
        raise InputError(f"{name}, line {reader.line_num}: not a readable CSV file ({exc})",
                         "The query log must be UTF-8 CSV or JSON Lines.") from None
