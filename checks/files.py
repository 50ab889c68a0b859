"""Reading the learner's files: bounded, read-only, and with messages that name the file.

Nothing here writes. Every failure is an ``InputError`` whose message names
the file and, where there is one, the line and column.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import InputError, TemplateData
from .placeholders import find_placeholders, strings_in

# Summaries and documents are small; anything bigger is a mistake worth naming.
MAX_TEXT_BYTES = 5 * 1024 * 1024


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


def modified_at(path: Path) -> str:
    stamp = path.stat().st_mtime
    return datetime.fromtimestamp(stamp, tz=timezone.utc).isoformat(timespec="seconds")


def read_text(path: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """The file's text (UTF-8, with or without a byte-order mark)."""
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a file", f"Remove or rename the folder {path.name}.")
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(
                f"{path} is {size / 1024 / 1024:.1f} MiB, more than the {limit // 1024 // 1024} MiB "
                "this file may be",
                "This file should be a small summary; check that the right file is in your data folder.",
            )
        raw = path.read_bytes()
    except PermissionError as exc:
        raise InputError(f"{path} cannot be read: permission denied",
                         "Give your user read permission on the file.") from exc
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    if b"\x00" in raw[:65536]:
        raise InputError(f"{path} is a binary file, not text",
                         "Save it as UTF-8 text (JSON, CSV or Markdown).")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}, line {line}: not valid UTF-8 text (byte {exc.start})",
                         "Save the file as UTF-8.") from exc


def load_json(path: Path, schema: dict[str, Any] | None = None) -> Any:
    """Parse a JSON file, refuse template data, and validate it against ``schema``."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}, line {exc.lineno}, column {exc.colno}: malformed JSON ({exc.msg})",
                         "Fix the JSON syntax at that position (a validator or your editor shows it).") from exc
    placeholders = [p for s in strings_in(data) for p in find_placeholders(s)]
    if placeholders:
        raise TemplateData(
            f"{path} still holds template text ({placeholders[0]!r}): it is not data",
            "Replace the template's numbers with ones you measured, and remove the note.",
        )
    if schema is not None:
        import jsonschema  # only builds that read a JSON summary pay for it

        validator = jsonschema.Draft202012Validator(schema)
        problems = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if problems:
            first = problems[0]
            where = "/".join(str(p) for p in first.absolute_path) or "the top level"
            raise InputError(f"{path}: field {where}: {first.message}",
                             "See the data formats page for what each field holds.")
    return data
