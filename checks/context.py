"""One run's view of the learner's sources, each read at most once.

A build of the site or a CLI run makes one ``Context``; every check and every
page block shares it, so a Redis round trip or a file parse happens once
however many places show its result.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .config import Config
from .files import find_files, load_json, modified_at, read_text
from . import cache
from .prices import PRICE_FILE, PriceBook
from .querylog import LOG_FILES
from .result import Source, SourceKind
from .traffic import Traffic, analyse


@lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``checks/schemas``."""
    text = resources.files("checks").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


class Context:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.redis = None
        if config.redis_enabled:
            from .redis_stats import RedisProbe  # redis-py: only when Redis is to be asked

            self.redis = RedisProbe(config.redis_url, config.redis_display)
        self._read: dict[tuple[Path, str | None], Any] = {}
        self._traffic: tuple[str, Any] | None = None

    @property
    def folder(self) -> Path:
        return self.config.files_dir

    def describe(self, path: Path) -> str:
        """How a file is named in output: relative to the data folder when inside it."""
        try:
            rel = path.relative_to(self.folder)
        except ValueError:
            rel = path
        if self.config.files_are_sample:
            return f"stubs/{rel.as_posix()} (shipped sample data)"
        return str(path)

    def file_source(self, path: Path, measured_at: str | None = None) -> Source:
        kind = SourceKind.SAMPLE if self.config.files_are_sample else SourceKind.FILE
        return Source(kind, self.describe(path), measured_at or modified_at(path))

    def text(self, path: Path) -> str:
        """A text file's content, read once per run however many checks look at it."""
        key = (path, "#text")
        if key not in self._read:
            try:
                self._read[key] = ("ok", read_text(path))
            except Exception as exc:
                self._read[key] = ("err", exc)
        state, value = self._read[key]
        if state == "err":
            raise value
        return value

    def json(self, path: Path, schema_name: str | None = None) -> Any:
        key = (path, schema_name)
        if key not in self._read:
            try:
                self._read[key] = ("ok", load_json(path, schema(schema_name) if schema_name else None))
            except Exception as exc:  # remembered: the same file is not read twice in a run
                self._read[key] = ("err", exc)
        state, value = self._read[key]
        if state == "err":
            raise value
        return value

    def log_path(self) -> Path | None:
        paths = find_files(self.folder, LOG_FILES)
        return paths[0] if paths else None

    def traffic(self) -> Traffic | None:
        """The query log, analysed once per run; ``None`` when there is none."""
        if self._traffic is None:
            path = self.log_path()
            try:
                value = None if path is None else self._analyse(path)
                self._traffic = ("ok", value)
            except Exception as exc:  # remembered: a broken log is read once, reported by each check
                self._traffic = ("err", exc)
        state, value = self._traffic
        if state == "err":
            raise value
        return value

    def _analyse(self, path: Path) -> Traffic:
        """The log's analysis, with its replay, from the cache when the same bytes were seen before."""
        ttl = self.config.replay_ttl_s
        name = cache.key(cache.file_digest(path), cache.file_digest(self.folder / PRICE_FILE), repr(ttl))
        cached = cache.load(name)
        if isinstance(cached, Traffic):
            cached.path = path  # the same bytes may sit elsewhere now
            return cached
        traffic = analyse(path, PriceBook.load(self.folder, self.describe))
        if traffic.queries.ids:
            traffic.replay(ttl)
        cache.save(name, traffic)
        return traffic

    def log_source(self, traffic: Traffic) -> Source:
        when = None
        if traffic.last_ts is not None:
            when = datetime.fromtimestamp(traffic.last_ts, tz=timezone.utc).isoformat(timespec="seconds")
        kind = SourceKind.SAMPLE if self.config.files_are_sample else SourceKind.FILE
        return Source(kind, f"query log {self.describe(traffic.path)}", when)
