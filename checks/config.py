"""Where the learner's data comes from: a data folder, a Redis URL, or the shipped sample.

Command-line options win over environment variables:

    --data DIR     BRIDGE_DATA        the learner's project folder
    --redis URL    REDIS_URL          default redis://localhost:6379/0
    --no-redis     SKIP_REDIS=true    do not contact Redis
    --sample       BRIDGE_SAMPLE=1    only the shipped sample data (the public site)
    --redact       BRIDGE_REDACT=1    hide query text everywhere
    --replay-ttl S BRIDGE_REPLAY_TTL  entries of the simulated similarity cache expire after S seconds
    --replay-threshold T BRIDGE_REPLAY_THRESHOLD  your semantic cache's similarity threshold (0.5 to 1)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from . import secrets as _secrets
from .errors import UsageError

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "stubs"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (see ``secrets.py``)."""
    return _secrets.mask_url(url)


def url_secrets(url: str) -> tuple[str, ...]:
    """Every string from the URL that must never appear in any output."""
    return _secrets.secrets(url)


def check_redis_url(url: str) -> None:
    """A ``UsageError`` showing the URL masked, unless redis-py can use it as it stands.

    A URL redis-py would misread (a password holding an unencoded ``/``, ``?`` or ``#`` makes
    the rest of it look like the database number) is refused too, never guessed at.
    """
    shown = mask_url(url)
    form = f"Use redis://[user:password@]host:port/db, e.g. {DEFAULT_REDIS_URL}."
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in {"redis", "rediss", "unix"}:
        raise UsageError(f"Redis URL {shown} is not a redis://, rediss:// or unix:// URL", form)
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        raise UsageError(f"Redis URL {shown} holds control characters", form)
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if scheme != "unix" and "@" in url.partition("://")[2] and "@" not in netloc:
            raise UsageError(
                f"Redis URL {shown} is malformed: its password holds a character that ends the host part "
                "(/, ? or #)",
                "Percent-encode those characters in the password: / as %2F, ? as %3F, # as %23 "
                "(and @ as %40, : as %3A).")
        from redis.connection import parse_url  # redis-py's own reading of the URL

        parse_url(url)
    except UsageError:
        raise
    except Exception:  # its message may quote part of the password: never shown
        raise UsageError(f"Redis URL {shown} is malformed: redis-py cannot read it "
                         "(check the port and the database number after the last /)", form) from None


def check_ttl(seconds: float, name: str = "--replay-ttl") -> float:
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"{name} must be a finite number of seconds, more than 0 (not {seconds!r})")
    return seconds


THRESHOLD_RANGE = (0.5, 1.0)  # below 0.5 a semantic cache answers almost anything with anything


def check_threshold(value: float, name: str = "--replay-threshold") -> float:
    lo, hi = THRESHOLD_RANGE
    if not math.isfinite(value) or not lo <= value <= hi:
        raise UsageError(f"{name} must be a cosine similarity from {lo} to {hi} (not {value!r})",
                         "Give the similarity threshold your semantic cache answers at, e.g. 0.85.")
    return value


def flag(value: str | None) -> bool | None:
    """The one reading of a yes/no variable: True, False, or None when unset or unclear."""
    text = (value or "").strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


@dataclass(frozen=True)
class Config:
    """Everything the environment and the command line say, read once and typed.

    The only reader of ``BRIDGE_*``, ``REDIS_URL`` and ``SKIP_REDIS``: the command line, the page
    blocks and the MkDocs hooks all take one of these (one per build: ``for_build``). A value that
    cannot be parsed is kept as a problem and raised by ``validate`` (a page shows it; the command
    line exits 2), so that the plain switches (``checks_on``, the cache) are always known.
    """

    data_dir: Path | None = None
    redis_url: str = DEFAULT_REDIS_URL
    use_redis: bool = True
    sample: bool = False
    redact: bool = False  # hide query text everywhere
    replay_ttl_s: float | None = None  # entries of the simulated similarity cache expire after this
    replay_threshold: float | None = None  # the learner's own semantic-cache threshold, replayed beside ours
    checks_on: bool = True  # BRIDGE_CHECKS=off: pages without results, for editing prose
    build_id: str = ""  # BRIDGE_BUILD_ID: a fresh id per build keeps Zensical's page cache from old numbers
    use_cache: bool = True  # BRIDGE_NO_CACHE=1 turns the analytics cache off
    cache_dir: Path | None = None  # BRIDGE_CACHE_DIR; default: the user cache folder
    poll_seconds: float = 5.0  # BRIDGE_POLL_SECONDS: how often serve asks Redis; 0: never
    problems: tuple[tuple[str, str], ...] = ()  # (message, hint) of values that could not be read

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, validate: bool = True,
                 **overrides: object) -> "Config":
        """Read the environment, then apply explicit overrides (``None`` means not given)."""
        env = os.environ if env is None else env
        problems: list[tuple[str, str]] = []

        def seconds(name: str, default: float | None, allow_zero: bool = False) -> float | None:
            raw = (env.get(name) or "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                problems.append((f"{name}={raw[:40]!r} is not a number of seconds", f"Set {name} to a number."))
                return default
            if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
                problems.append((f"{name} must be a finite number of seconds, more than 0 (not {raw[:40]!r})",
                                 f"Set {name} to a positive number."))
                return default
            return value

        def threshold(name: str) -> float | None:
            raw = (env.get(name) or "").strip()
            if not raw:
                return None
            try:
                value = float(raw)
            except ValueError:
                problems.append((f"{name}={raw[:40]!r} is not a number", f"Set {name} to a similarity, e.g. 0.85."))
                return None
            lo, hi = THRESHOLD_RANGE
            if not math.isfinite(value) or not lo <= value <= hi:
                problems.append((f"{name} must be a cosine similarity from {lo} to {hi} (not {raw[:40]!r})",
                                 f"Set {name} to the threshold your semantic cache answers at, e.g. 0.85."))
                return None
            return value

        data = env.get("BRIDGE_DATA") or None
        cache_dir = env.get("BRIDGE_CACHE_DIR") or None
        values: dict[str, object] = {
            "data_dir": Path(data) if data else None,
            "redis_url": env.get("REDIS_URL") or DEFAULT_REDIS_URL,
            "use_redis": flag(env.get("SKIP_REDIS")) is not True,
            "sample": flag(env.get("BRIDGE_SAMPLE")) is True,
            "redact": flag(env.get("BRIDGE_REDACT")) is True,
            "replay_ttl_s": seconds("BRIDGE_REPLAY_TTL", None),
            "replay_threshold": threshold("BRIDGE_REPLAY_THRESHOLD"),
            "checks_on": flag(env.get("BRIDGE_CHECKS")) is not False,
            "build_id": "" if (env.get("BRIDGE_BUILD_ID") or "none").strip() == "none"
            else env["BRIDGE_BUILD_ID"].strip(),
            "use_cache": flag(env.get("BRIDGE_NO_CACHE")) is not True,
            "cache_dir": Path(cache_dir) if cache_dir else None,
            "poll_seconds": seconds("BRIDGE_POLL_SECONDS", 5.0, allow_zero=True),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        cfg = cls(problems=tuple(problems), **values)  # type: ignore[arg-type]
        if validate:
            cfg.validate()
        return cfg

    def validate(self) -> None:
        for message, hint in self.problems:
            raise UsageError(message, hint)
        if self.data_dir is not None and not self.sample:
            if not self.data_dir.exists():
                raise UsageError(f"data folder {self.data_dir} does not exist",
                                 "Check --data or BRIDGE_DATA.")
            if not self.data_dir.is_dir():
                raise UsageError(f"data folder {self.data_dir} is not a folder",
                                 "Point --data or BRIDGE_DATA at your project folder.")
        if self.replay_ttl_s is not None:
            check_ttl(self.replay_ttl_s)
        if self.replay_threshold is not None:
            check_threshold(self.replay_threshold)
        if self.redis_enabled:
            check_redis_url(self.redis_url)

    @property
    def cache_root(self) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir
        from platformdirs import user_cache_dir  # a dependency of MkDocs

        return Path(user_cache_dir("bridge-checks"))

    @property
    def files_dir(self) -> Path:
        """The folder file checks read: the learner's, or the shipped sample."""
        if self.sample or self.data_dir is None:
            return SAMPLE_DIR
        return self.data_dir

    @property
    def files_are_sample(self) -> bool:
        return self.sample or self.data_dir is None

    @property
    def redis_explicit(self) -> bool:
        """Whether the learner named a Redis (``--redis`` or ``REDIS_URL``) rather than leaving the default."""
        return self.redis_enabled and self.redis_url != DEFAULT_REDIS_URL

    @property
    def redis_enabled(self) -> bool:
        return self.use_redis and not self.sample

    @cached_property
    def redis_display(self) -> str:
        return mask_url(self.redis_url)

    @cached_property
    def secrets(self) -> tuple[str, ...]:
        return url_secrets(self.redis_url)


_build: Config | None = None


def for_build() -> Config:
    """The one ``Config`` of the current build, shared by the hooks and every page block (not
    validated: each user validates what it needs, so a bad value shows on the pages)."""
    global _build
    if _build is None:
        _build = Config.from_env(validate=False)
    return _build


def new_build() -> None:
    """Forget the current build's ``Config``: the environment is read again for the next build."""
    global _build
    _build = None
