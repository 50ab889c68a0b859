"""A cache of query-log analytics, keyed on the exact bytes they were computed from.

Live data is never cached: Redis is asked on every build. What is cached is the analysis of a
query log (costs, layers, the replay), under a key made of the sha256 of the log's bytes, of
``prices.json``'s bytes, of the source of the modules that make an analysis, of the versions of
the libraries that shape its figures (the price library's included), of the embedding model and
of the replay's settings: change any of them and the analysis is computed again. The shipped
sample's analysis ships with the package under the same key (``shipped_sample``), so building
the public site needs neither numpy nor the model. (A cache keyed
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
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Config

FORMAT = 3
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


# The modules whose code decides what an analysis of a log holds; nothing else shapes a Traffic.
ANALYSIS_MODULES = ("traffic.py", "querylog.py", "queries.py", "similarity.py", "embedding.py", "prices.py",
                    "files.py", "errors.py", "cache.py", "routing.py", "repeat.py", "needs.py", "models/repeat-judge.json")


@lru_cache(maxsize=1)
def analysis_version() -> str:
    """What an analysis depends on: its modules' source, the libraries' versions and the model."""
    from importlib import metadata

    from . import embedding

    digest = hashlib.sha256(f"{FORMAT}".encode())  # not Python's version: the figures do not depend on it
    for name in ("genai-prices", "numpy", "scipy", "model2vec", "msgspec"):
        try:
            digest.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none;".encode())
    package = Path(__file__).resolve().parent
    for name in ANALYSIS_MODULES:
        digest.update(name.encode())
        digest.update((package / name).read_bytes())
    digest.update((embedding.unavailable() or embedding.model_digest()).encode())
    return digest.hexdigest()


def analysis_key(*parts: str) -> str:
    return hashlib.sha256("\x00".join((analysis_version(), *parts)).encode()).hexdigest()


SHIPPED_SAMPLE = Path(__file__).resolve().parent / "sample_analysis.pickle"


def shipped_sample(name: str) -> Any | None:
    """The shipped sample log's analysis, made by ``scripts/make_sample_log.py --analysis`` and shipped
    with the package like its code: used when the key (the log's bytes, prices.json's, the settings
    and ``analysis_version()``) is exactly the one it was made under, so a build of the sample needs
    no numpy, scipy or model at all."""
    try:
        with open(SHIPPED_SAMPLE, "rb") as fh:
            stored = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != name:
        return None
    return stored.get("traffic")


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
