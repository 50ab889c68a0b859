"""Streaming reader for the learner's query log: JSON Lines, or CSV with the same columns.

One request per line. The reader yields records one at a time (memory does not
grow with the number of lines), names the file and line of every bad record,
keeps going past them, and lets the caller decide when too many are bad.
The fields are documented in ``schemas/query_log_record.schema.json``; the
checks here mirror that schema (the tests hold the two in agreement), because
validating every line with a general schema validator would dominate the time
of a million-line log.
"""

from __future__ import annotations

import csv
import json
import math
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

    class _Line(Record, forbid_unknown_fields=True, gc=False):
        """A plain log line, as msgspec decodes and type-checks it in one pass (integers become floats
        where a float is wanted, as the full validation does). A Record itself once ``_fast_line`` has
        turned its time into seconds; a line that carries a vector is left to the full reader."""

        ts: Union[datetime, float]
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
else:
    _LINE = None


def _fast_line(raw: bytes) -> Record | None:
    """The record of a plain, valid line; ``None`` for anything less usual (a vector, an unknown field, an
    empty string, a string number, a zone other than Z, anything wrong), which ``to_record`` then reads
    and, where it is wrong, names. The two agree on every line this accepts (a test holds them to it; a time
    given to the nanosecond may round to the other microsecond)."""
    if _LINE is None:
        return None
    try:
        line = _LINE.decode(raw)
    except (msgspec.MsgspecError, ValueError, RecursionError):  # malformed, not UTF-8, a wrong type, out of
        # bounds, an unknown field, nested too deep
        return None
    ts = line.ts
    if type(ts) is float:
        seconds = ts
    elif ts.tzinfo is not None:  # a time without a zone, taken as UTC, is left to the full reader
        try:
            seconds = ts.timestamp()
        except (ValueError, OverflowError):
            return None
    else:
        return None
    if not 0 <= seconds < MAX_TS:  # NaN fails this too
        return None
    cached = line.cached_input_tokens
    if cached is not None and (line.input_tokens is None or cached > line.input_tokens):
        return None
    line.ts = seconds
    return line


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


_BLOCK = 1 << 20


def _raw_lines(path: Path, keepends: bool = True) -> Iterator[tuple[int, bytes]]:
    """The file's lines as bytes (split on ``\n`` only), streamed a block at a time; a line longer
    than ``MAX_LINE_BYTES`` is refused as soon as that many bytes have been read, never held whole.
    ``keepends=False`` drops each line's ``\n``, which JSON Lines does not need."""
    def too_long(lineno: int) -> InputError:
        return InputError(f"{path}, line {lineno}: a line of more than {MAX_LINE_BYTES:,} bytes is not one "
                          "request", "Check that this is a query log with one request per line.")

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
            lines = block.split(b"\n")
            carry = lines.pop()  # the unfinished last line ("" when the block ends a line)
            for raw in lines:
                lineno += 1
                if len(raw) >= MAX_LINE_BYTES:  # with its newline, more than MAX_LINE_BYTES
                    raise too_long(lineno)
                yield lineno, (raw + b"\n" if keepends else raw)
            if len(carry) > MAX_LINE_BYTES:
                raise too_long(lineno + 1)
        if carry:
            yield lineno + 1, carry


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
    name = path.name
    dims = _Dimensions()
    if path.suffix.lower() == ".csv":
        yield from _read_csv(path, name, stats, dims)
        return
    for lineno, raw in _raw_lines(path, keepends=False):
        if not raw.strip():
            continue
        stats.lines += 1
        if lineno > 1 and b"\x00" not in raw:  # line 1 may open with a byte-order mark
            rec = _fast_line(raw)
            if rec is not None:
                yield rec
                continue
        try:
            obj = loads(_decode(raw, lineno, path))
        except json.JSONDecodeError as exc:
            stats.note(f"{name}, line {lineno}", f"malformed JSON ({exc.msg}, column {exc.colno})")
            continue
        except BadRecord as exc:
            stats.note(f"{name}, line {lineno}", str(exc))
            continue
        except (ValueError, RecursionError) as exc:  # nesting too deep, an integer too long to convert
            stats.note(f"{name}, line {lineno}", "malformed JSON (" + ("nested too deeply" if isinstance(
                exc, RecursionError) else _show(str(exc), 80)) + ")")
            continue
        try:
            yield dims.check(to_record(obj))
        except BadRecord as exc:
            stats.note(f"{name}, line {lineno}", str(exc))


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
