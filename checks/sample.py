"""Recognising the shipped sample data by its content, wherever it was copied to.

A copy of ``stubs/`` passed as ``--data`` is still the course's data, not the learner's: it must
be labelled sample and never count towards readiness. A path says nothing (the copy can be
anywhere, under any folder name), so the content decides:

* a JSON summary is a copy when it holds the same values as a shipped one (however formatted);
* a text file (the query log, a failures document) is a copy when more than half of its first
  ``LINES_LOOKED_AT`` substantial lines are lines of the shipped files (line endings, surrounding
  spaces and a byte-order mark ignored), so that a sample log with a few lines added, or a
  sample document with one section edited, is still recognised.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from .config import SAMPLE_DIR
from .errors import InputError

LINES_LOOKED_AT = 2000
MIN_LINE_CHARS = 16  # shorter lines ("{", "## Fix", "---") are shared by any two files
COPY_SHARE = 0.5


def _line_key(line: bytes) -> bytes | None:
    line = line.strip().lstrip(b"\xef\xbb\xbf")
    if len(line) < MIN_LINE_CHARS:
        return None
    return hashlib.blake2b(line, digest_size=12).digest()


def _json_key(raw: bytes) -> str | None:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, (dict, list)):
        return None
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=1)
def _fingerprints() -> tuple[frozenset[str], frozenset[bytes]]:
    """(canonical JSON of each shipped summary, keys of every substantial shipped line)."""
    summaries: set[str] = set()
    lines: set[bytes] = set()
    for path in sorted(SAMPLE_DIR.iterdir()) if SAMPLE_DIR.is_dir() else []:
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if path.suffix.lower() == ".json":
            key = _json_key(raw)
            if key is not None:
                summaries.add(key)
            continue
        lines.update(k for k in map(_line_key, raw.splitlines()) if k is not None)
    return frozenset(summaries), frozenset(lines)


def is_sample_copy(path: Path) -> bool:
    """Whether ``path`` (a regular file) holds the shipped sample data; False when it cannot be read."""
    from .files import MAX_TEXT_BYTES, open_regular

    try:
        if SAMPLE_DIR in path.resolve().parents:
            return True
        summaries, lines = _fingerprints()
        with open_regular(path) as fh:
            if path.suffix.lower() == ".json":
                raw = fh.read(MAX_TEXT_BYTES + 1)
                return len(raw) <= MAX_TEXT_BYTES and _json_key(raw) in summaries
            seen = shared = 0
            while seen < LINES_LOOKED_AT:
                raw = fh.readline(1 << 20)
                if not raw:
                    break
                key = _line_key(raw)
                if key is None:
                    continue
                seen += 1
                shared += key in lines
    except (OSError, InputError):
        return False
    return seen > 0 and shared / seen > COPY_SHARE
