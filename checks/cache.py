"""A cache of query-log analytics, keyed on the exact bytes they were computed from.

Live data is never cached: Redis is asked on every build. What is cached is the analysis of a
query log (costs, layers, the replay), under a key made of the sha256 of the log's bytes, of
``prices.json``'s bytes, of the ``checks`` package's source, of the price library's version and
of the replay's settings: change any of them and the analysis is computed again. (A cache keyed
on page source, as notebook-based sites use, would show old numbers; this one cannot.)

It lives in the user's cache folder (never the learner's data folder), readable only by its
owner. ``BRIDGE_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

FORMAT = 1


def enabled() -> bool:
    return os.environ.get("BRIDGE_NO_CACHE", "").strip().lower() not in {"1", "true", "yes", "on"}


@lru_cache(maxsize=1)
def folder() -> Path:
    from platformdirs import user_cache_dir  # a dependency of MkDocs

    path = Path(os.environ.get("BRIDGE_CACHE_DIR") or user_cache_dir("bridge-checks")) / "analytics"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


@lru_cache(maxsize=1)
def code_version() -> str:
    """The package's own source and the versions that shape its results."""
    digest = hashlib.sha256(f"{FORMAT}:{sys.version_info[:2]}".encode())
    for name in ("genai-prices", "numpy", "scipy"):
        try:
            digest.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none;".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".json"} and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def file_digest(path: Path | None) -> str:
    if path is None or not path.exists():
        return "absent"
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def key(*parts: str) -> str:
    return hashlib.sha256("\x00".join((code_version(), *parts)).encode()).hexdigest()


def load(name: str) -> Any | None:
    if not enabled():
        return None
    try:
        with open(folder() / f"{name}.pickle", "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None  # absent, or written by an older version: compute again


def save(name: str, value: Any) -> None:
    if not enabled():
        return
    try:
        target = folder() / f"{name}.pickle"
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)  # atomic: a concurrent build reads the old file or the new one
    except OSError:
        pass  # a read-only or full disk only costs the next build its time
