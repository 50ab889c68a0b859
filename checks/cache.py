"""A cache of query-log analytics, keyed on the exact bytes they were computed from.

Live data is never cached: Redis is asked on every build. What is cached is the analysis of a
query log (costs, layers, the replay), under a key made of the sha256 of the log's bytes, of
``prices.json``'s bytes, of the ``checks`` package's source, of the price library's version and
of the replay's settings: change any of them and the analysis is computed again. (A cache keyed
on page source, as notebook-based sites use, would show old numbers; this one cannot.)

It lives in the user's cache folder (never the learner's data folder). What is loaded from there
is code in effect (pickles here, compiled templates for the theme), so a folder is used only if it
is owned by the current user and nobody else can write to it: one planted by another local user
(say in a shared temporary folder named by ``BRIDGE_CACHE_DIR``) is never read, and the cache is
then off. ``BRIDGE_NO_CACHE=1`` turns it off. Where it lives and whether it is on come from the
run's ``Config``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Config

FORMAT = 2
REFUSED: list[str] = []  # why a cache folder was not used, for the command line to say
log = logging.getLogger("mkdocs.plugins.bridge-checks")


def _trusted(path: Path) -> bool:
    """A real folder (not a link), owned by this user, that no other user can write to."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
        return False
    return True


def private_folder(base: Path, name: str) -> Path | None:
    """``base/name``, created ``0700``; ``None`` when it, or ``base``, is not this user's alone."""
    path = base / name
    try:
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.mkdir(exist_ok=True, mode=0o700)
    except OSError:
        return None
    for folder_ in (base, path):
        if not _trusted(folder_):
            message = (f"cache folder {folder_} is not yours alone (another owner, a link, or writable by others): "
                       "nothing is loaded from it, and this cache is off")
            if message not in REFUSED:
                REFUSED.append(message)
                log.info("bridge-checks: %s", message)  # a note, not a warning: a strict build goes on
            return None
    return path


@lru_cache(maxsize=8)
def folder(base: Path) -> Path | None:
    return private_folder(base, "analytics")


@lru_cache(maxsize=1)
def code_version() -> str:
    """The package's own source and the versions that shape its results."""
    from importlib import metadata  # 60 ms of imports: only when a key is needed

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
    """The sha256 of a regular file's bytes (``InputError`` for anything else), or "absent"."""
    from .files import open_regular

    if path is None or not os.path.lexists(path):
        return "absent"
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def key(*parts: str) -> str:
    return hashlib.sha256("\x00".join((code_version(), *parts)).encode()).hexdigest()


def load(config: "Config", name: str) -> Any | None:
    where = folder(config.cache_root) if config.use_cache else None
    if where is None:
        return None
    try:
        with open(where / f"{name}.pickle", "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None  # absent, or written by an older version: compute again


def save(config: "Config", name: str, value: Any) -> None:
    where = folder(config.cache_root) if config.use_cache else None
    if where is None:
        return
    try:
        target = where / f"{name}.pickle"
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)  # atomic: a concurrent build reads the old file or the new one
    except OSError:
        pass  # a read-only or full disk only costs the next build its time
