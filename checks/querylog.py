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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from .errors import InputError

LOG_FILES = ["query_log.jsonl", "query_log.ndjson", "query_log.csv"]
LAYERS = ("response", "semantic", "embedding", "context", "none")
MAX_LINE_BYTES = 1024 * 1024  # one request; a longer line is a broken file, not a query
MAX_PROBLEMS_KEPT = 5
_INT_FIELDS = ("input_tokens", "output_tokens", "embedding_tokens")
_NUM_FIELDS = ("cost_usd", "latency_ms")
_STR_FIELDS = ("query", "model", "embedding_model")


@dataclass(slots=True)
class Record:
    ts: float  # Unix seconds, UTC
    query: str | None
    cache_layer: str | None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    embedding_model: str | None = None
    embedding_tokens: int | None = None
    cost_usd: float | None = None
    latency_ms: float | None = None
    embedding: list[float] | None = None


class BadRecord(ValueError):
    pass


def parse_ts(value: object) -> float:
    if isinstance(value, bool):
        raise BadRecord("ts must be an ISO-8601 time or Unix seconds")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise BadRecord(f"ts {value!r} is not a valid Unix time")
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise BadRecord(f"ts {value!r} is neither an ISO-8601 time nor Unix seconds") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)  # a log without a zone is taken as UTC
        return moment.timestamp()
    raise BadRecord("ts is missing" if value is None else f"ts must be a time, not {type(value).__name__}")


def _non_negative(name: str, value: object, whole: bool) -> int | float:
    """A count (``whole``) or an amount, from a JSON number or a CSV string; never negative."""
    kind = "whole number" if whole else "number"
    if isinstance(value, str):
        try:
            value = int(value) if whole else float(value)
        except ValueError:
            raise BadRecord(f"{name} {value!r} is not a {kind}") from None
    ok_types = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, ok_types) or not math.isfinite(value) or value < 0:
        raise BadRecord(f"{name} must be a {kind} ≥ 0, not {value!r}")
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
            raise BadRecord(f"cache_layer {layer!r} is not one of {', '.join(LAYERS)}")
        rec.cache_layer = layer
    for name, whole in [(n, True) for n in _INT_FIELDS] + [(n, False) for n in _NUM_FIELDS]:
        value = get(name)
        if value is not None and value != "":
            setattr(rec, name, _non_negative(name, value, whole))
    vector = get("embedding")
    if vector is not None and vector != "":
        if isinstance(vector, str):
            try:
                vector = json.loads(vector)
            except json.JSONDecodeError:
                raise BadRecord("embedding must be a JSON array of numbers") from None
        if (not isinstance(vector, list) or not vector
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector)):
            raise BadRecord("embedding must be a non-empty array of numbers")
        rec.embedding = vector
    return rec


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


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Decoded lines, streamed; binary and undecodable content are errors naming the line."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    with fh:
        for lineno, raw in enumerate(fh, 1):
            if len(raw) > MAX_LINE_BYTES:
                raise InputError(f"{path}, line {lineno}: a line of {len(raw):,} bytes is not one request",
                                 "Check that this is a query log with one request per line.")
            if b"\x00" in raw:
                raise InputError(f"{path}, line {lineno}: binary data, not a text log",
                                 "The query log must be UTF-8 JSON Lines or CSV.")
            try:
                text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                raise InputError(f"{path}, line {lineno}: not valid UTF-8 text", "Save the log as UTF-8.") from None
            yield lineno, text


def read(path: Path, stats: ReadStats) -> Iterator[Record]:
    """Yield the good records of ``path``; count and describe the bad ones in ``stats``."""
    name = path.name
    if path.suffix.lower() == ".csv":
        yield from _read_csv(path, name, stats)
        return
    for lineno, text in _lines(path):
        if not text.strip():
            continue
        stats.lines += 1
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            stats.note(f"{name}, line {lineno}", f"malformed JSON ({exc.msg}, column {exc.colno})")
            continue
        try:
            yield to_record(obj)
        except BadRecord as exc:
            stats.note(f"{name}, line {lineno}", str(exc))


def _read_csv(path: Path, name: str, stats: ReadStats) -> Iterator[Record]:
    try:
        fh = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                return
            columns = [c.strip() for c in header]
            if "ts" not in columns:
                raise InputError(f"{name}, line 1: the CSV header has no 'ts' column ({', '.join(columns)})",
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
                    yield to_record(dict(zip(columns, row)))
                except BadRecord as exc:
                    stats.note(f"{name}, line {lineno}", str(exc))
        except UnicodeDecodeError:
            raise InputError(f"{name}, line {reader.line_num + 1}: not valid UTF-8 text",
                             "Save the log as UTF-8.") from None
        except csv.Error as exc:
            raise InputError(f"{name}, line {reader.line_num}: not a readable CSV file ({exc})",
                             "The query log must be UTF-8 CSV or JSON Lines.") from None
