"""Reading the learner's files: bounded, read-only, and with messages that name the file.

Nothing here writes. Every failure is an ``InputError`` whose message names
the file and, where there is one, the line and column (or the JSON field).

Only regular files are read: a FIFO, a device or a socket under a data file's name
(directly or through a link) is refused before it is opened for reading, since reading
one can block forever or never end. Byte limits are enforced while reading, never
taken from ``st_size`` alone.
"""

from __future__ import annotations

import json
import math
import os
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from .errors import InputError, TemplateData
from .placeholders import find_placeholders, strings_in

# Summaries and documents are small; anything bigger is a mistake worth naming.
MAX_TEXT_BYTES = 5 * 1024 * 1024
# Integers in a summary beyond this are not counts of anything (and would overflow float arithmetic).
MAX_JSON_INT = 2 ** 63
_KINDS = [(stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")]


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for binary reading, if (after following links) it is a regular file.

    A FIFO is opened non-blocking where the platform allows, so that even one swapped in
    after the check cannot block; the open file is checked again with ``fstat``.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist (a broken link?)") from exc
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        raise InputError(f"{path} is {_kind(mode)}, not a regular file",
                         "Put a regular file under that name (a copy, not a pipe, device or folder).")
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError as exc:
        raise InputError(f"{path} cannot be read: permission denied",
                         "Give your user read permission on the file.") from exc
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path} is {_kind(mode)}, not a regular file",
                             "Put a regular file under that name (a copy, not a pipe, device or folder).")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, limit: int, hint: str) -> bytes:
    """At most ``limit`` bytes of a regular file; more is an error naming the file, found while reading."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise InputError(f"{path} is {size / 1024 / 1024:.1f} MiB, more than the {limit / 1024 / 1024:g} MiB "
                             "this file may be", hint)
        try:
            raw = fh.read(limit + 1)  # the size may have grown since: the limit holds while reading
        except OSError as exc:
            raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    if len(raw) > limit:
        raise InputError(f"{path} is more than the {limit / 1024 / 1024:g} MiB this file may be", hint)
    return raw


def find_files(folder: Path, names: list[str]) -> list[Path]:
    """Existing files in ``folder`` among ``names``, in the order given.

    Names match case-insensitively (``readme.md`` is ``README.md``) so that the
    answer is the same on Windows, macOS and Linux.
    """
    try:
        entries = {p.name.lower(): p for p in folder.iterdir()}
    except OSError:
        return []
    found = []
    for name in names:
        path = entries.get(name.lower())
        if path is not None and path not in found:
            found.append(path)
    return found


def modified_at(path: Path) -> str | None:
    """The file's modification time (ISO-8601, UTC), or None when it has none that can be shown."""
    try:
        stamp = path.stat().st_mtime
        return datetime.fromtimestamp(stamp, tz=timezone.utc).isoformat(timespec="seconds")
    except (OSError, ValueError, OverflowError):
        return None


def read_text(path: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """The file's text (UTF-8, with or without a byte-order mark)."""
    raw = read_bytes(path, limit, "This file should be a small summary or document; check that the right file "
                                  "is in your data folder.")
    if b"\x00" in raw[:65536]:
        raise InputError(f"{path} is a binary file, not text",
                         "Save it as UTF-8 text (JSON, CSV or Markdown).")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}, line {line}: not valid UTF-8 text (byte {exc.start})",
                         "Save the file as UTF-8.") from exc


class _NonFinite(str):
    """What the parser makes of ``NaN``, ``Infinity`` and ``-Infinity``: found and named afterwards."""


def _non_finite(token: str) -> _NonFinite:
    return _NonFinite(token)


def parse_json(text: str) -> Any:
    """``json.loads``, except that ``NaN`` and ``Infinity`` come back as markers that
    ``bad_number`` finds. Nesting too deep to parse, or an integer too long to convert,
    raise ``ValueError`` like malformed JSON does."""
    try:
        return json.loads(text, parse_constant=_non_finite)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def bad_number(data: Any) -> tuple[str, str] | None:
    """(field path, problem) for the first number in ``data`` that is not a finite, sane number."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, _NonFinite):
            return where, f"{value} is not a number (only finite numbers are allowed)"
        if isinstance(value, float) and not math.isfinite(value):
            return where, "a number too large to represent"
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_JSON_INT:
            return where, f"an integer of {len(str(abs(value)))} digits, too large to be a count"
        if isinstance(value, dict):
            stack.extend((f"{where}/{k}" if where else str(k), v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((f"{where}/{i}" if where else str(i), v) for i, v in reversed(list(enumerate(value))))
    return None


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def load_json(path: Path, schema: dict[str, Any] | None = None) -> Any:
    """Parse a JSON file, refuse non-finite numbers and template data, and validate it against ``schema``."""
    text = read_text(path)
    try:
        data = parse_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}, line {exc.lineno}, column {exc.colno}: malformed JSON ({exc.msg})",
                         "Fix the JSON syntax at that position (a validator or your editor shows it).") from exc
    except ValueError as exc:
        raise InputError(f"{path}: malformed JSON ({_short(str(exc))})",
                         "Fix the JSON; a summary file holds a few numbers, not deep structures.") from exc
    found = bad_number(data)
    if found is not None:
        where, problem = found
        raise InputError(f"{path}: field {where or 'the top level'}: {problem}",
                         "Write a measured, finite number there (JSON has no NaN or Infinity).")
    placeholders = [p for s in strings_in(data) for p in find_placeholders(s)]
    if placeholders:
        raise TemplateData(
            f"{path} still holds template text ({_short(placeholders[0])!r}): it is not data",
            "Replace the template's numbers with ones you measured, and remove the note.",
        )
    if schema is not None:
        import jsonschema  # only builds that read a JSON summary pay for it

        validator = jsonschema.Draft202012Validator(schema)
        problems = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if problems:
            first = problems[0]
            where = "/".join(str(p) for p in first.absolute_path) or "the top level"
            raise InputError(f"{path}: field {where}: {_short(first.message)}",
                             "See the data formats page for what each field holds.")
    return data
