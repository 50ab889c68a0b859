"""One run's view of the learner's sources, each read at most once.

A build of the site or a CLI run makes one ``Context``; every check and every
page block shares it, so a Redis round trip or a file parse happens once
however many places show its result.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .config import Config
from .errors import InputError
from .files import find_files, load_json, modified_at, read_text
from . import cache
from .memo import Memo
from .prices import PRICE_FILE, PriceBook
from .querylog import LOG_FILES
from .result import Source, SourceKind
from .traffic import Traffic, analyse


@lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``checks/schemas``."""
    text = resources.files("checks").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


_RECENT: dict[tuple, Traffic] = {}  # this process's latest analyses, by the files' identity and stat


def _signature(log: Path, prices: Path, ttl) -> tuple | None:
    """What identifies the files' content without reading them: device, inode, size and modification
    time in nanoseconds of the log and of prices.json (a rewrite changes the time)."""
    try:
        a = os.stat(log)
    except OSError:
        return None
    try:
        b = os.stat(prices)
        pstat = (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns)
    except OSError:
        pstat = None
    return (str(log), a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns, pstat, repr(ttl))


class Context:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.redis = None
        if config.redis_enabled:
            from .redis_stats import RedisProbe  # redis-py: only when Redis is to be asked

            self.redis = RedisProbe(config.redis_url, config.redis_display)
        self._memo = Memo()
        self._copies: dict[Path, bool] = {}
        self._evidence: dict | None = None

    def redis_evidence(self) -> dict:
        """Read-only facts from Redis for the failures page, gathered once per run (``evidence.py``)."""
        if self._evidence is None:
            assert self.redis is not None
            from .evidence import gather

            self._evidence = gather(self.redis, self.redis.stats())
        return self._evidence

    @property
    def folder(self) -> Path:
        return self.config.files_dir

    def is_sample(self, path: Path) -> bool:
        """Whether a file's numbers are the course's: sample mode, or a copy of the shipped sample
        recognised by its content (see ``sample.py``)."""
        if self.config.files_are_sample:
            return True
        if path not in self._copies:
            from .sample import is_sample_copy

            self._copies[path] = path.is_file() and is_sample_copy(path)
        return self._copies[path]

    def kind(self, path: Path) -> SourceKind:
        return SourceKind.SAMPLE if self.is_sample(path) else SourceKind.FILE

    def describe(self, path: Path) -> str:
        """How a file is named in output: relative to the data folder when inside it."""
        try:
            rel = path.relative_to(self.folder)
        except ValueError:
            rel = path
        if self.config.files_are_sample:
            return f"stubs/{rel.as_posix()} (shipped sample data)"
        if path.is_file() and self.is_sample(path):
            return f"{path} (a copy of the shipped sample data)"
        return str(path)

    def file_source(self, path: Path, measured_at: str | None = None) -> Source:
        return Source(self.kind(path), self.describe(path), measured_at or modified_at(path))

    def text(self, path: Path) -> str:
        """A text file's content, read once per run however many checks look at it."""
        return self._memo.get(("text", path), lambda: read_text(path))

    def json(self, path: Path, schema_name: str | None = None) -> Any:
        """A JSON file, parsed and validated once per run."""
        return self._memo.get(("json", path, schema_name),
                              lambda: load_json(path, schema(schema_name) if schema_name else None))

    def log_path(self) -> Path | None:
        paths = find_files(self.folder, LOG_FILES)
        return paths[0] if paths else None

    def traffic(self) -> Traffic | None:
        """The query log, analysed once per run; ``None`` when there is none. A broken log is read
        once and reported by each check that needs it."""
        def compute() -> Traffic | None:
            path = self.log_path()
            return None if path is None else self._analyse(path)

        return self._memo.get("traffic", compute)

    def _analyse(self, path: Path) -> Traffic:
        """The log's analysis: from this process's memory when the files are unchanged since the last
        build (``mkdocs serve`` rebuilds without re-hashing a large log), else ``_analyse_bytes``."""
        settings = (self.config.replay_ttl_s, self.config.replay_threshold)
        signature = _signature(path, self.folder / PRICE_FILE, settings)
        if signature is not None and signature in _RECENT:
            traffic = _RECENT[signature]
            traffic.path = path
            return traffic
        traffic = self._analyse_bytes(path)
        if signature is not None and signature == _signature(path, self.folder / PRICE_FILE, settings):
            _RECENT[signature] = traffic  # unchanged while it was read: safe to reuse
            while len(_RECENT) > 4:
                _RECENT.pop(next(iter(_RECENT)))
        return traffic

    def _analyse_bytes(self, path: Path) -> Traffic:
        """The log's analysis, with its replay, from the cache when the same bytes were seen before.

        The key holds the log's bytes and its format (the same bytes named ``.csv`` are another
        file), ``prices.json``'s bytes, the code's version and the replay's settings. A broken
        ``prices.json`` disables pricing only: the analysis keeps the message for the cost check.
        """
        from .querylog import precheck

        precheck(path)
        ttl = self.config.replay_ttl_s
        prices_path = self.folder / PRICE_FILE
        try:
            prices_digest = cache.file_digest(prices_path)
        except InputError as exc:
            prices_digest = "unreadable:" + exc.message
        name = self.analysis_key(path, prices_digest)
        cached = cache.load(self.config, name)
        if not isinstance(cached, Traffic):
            cached = cache.shipped_sample(name)  # the shipped sample, analysed when it was made
        if isinstance(cached, Traffic):
            cached.path = path  # the same bytes may sit elsewhere now
            return cached
        price_error = None
        try:
            prices = PriceBook.load(self.folder, self.describe)
        except InputError as exc:
            prices, price_error = PriceBook(), (exc.message, exc.hint)
        traffic = analyse(path, prices)
        traffic.price_error = price_error
        from .routing import prepare

        prepare(traffic)
        if traffic.queries.ids:
            traffic.replay(ttl, self.vector_cache(), self.config.replay_threshold)
        cache.save(self.config, name, traffic)
        return traffic

    def analysis_key(self, path: Path, prices_digest: str) -> str:
        return cache.analysis_key(cache.file_digest(path), path.suffix.lower(), prices_digest,
                                  repr(self.config.replay_ttl_s), repr(self.config.replay_threshold))

    def vector_cache(self) -> Path | None:
        """Where query vectors are kept between runs: the private cache folder, when the cache is on."""
        return cache.private_folder(self.config.cache_root, "vectors") if self.config.use_cache else None

    def log_source(self, traffic: Traffic) -> Source:
        when = None
        if traffic.last_ts is not None:
            when = datetime.fromtimestamp(traffic.last_ts, tz=timezone.utc).isoformat(timespec="seconds")
        return Source(self.kind(traffic.path), f"query log {self.describe(traffic.path)}", when)
