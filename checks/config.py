"""Where the learner's data comes from: a data folder, a Redis URL, or the shipped sample.

Command-line options win over environment variables:

    --data DIR     BRIDGE_DATA        the learner's project folder
    --redis URL    REDIS_URL          default redis://localhost:6379/0
    --no-redis     SKIP_REDIS=true    do not contact Redis
    --sample       BRIDGE_SAMPLE=1    only the shipped sample data (the public site)
    --redact       BRIDGE_REDACT=1    hide query text everywhere
    --replay-ttl S BRIDGE_REPLAY_TTL  entries of the simulated similarity cache expire after S seconds
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import UsageError

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "stubs"

_TRUE = {"1", "true", "yes", "on"}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (and kept parseable)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable Redis URL>"
    if parts.password is None and "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0] if ":" in userinfo else ""
    # redis://secret@host means the password alone, with no user name.
    masked = f"{user}:***@{hostport}" if user or ":" in userinfo else f"***@{hostport}"
    return urlunsplit((parts.scheme, masked, parts.path, parts.query, parts.fragment))


def url_secrets(url: str) -> tuple[str, ...]:
    """Every string from the URL that must never appear in any output."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    secrets = []
    if parts.password:
        secrets.append(parts.password)
    elif "@" in parts.netloc and parts.username:
        secrets.append(parts.username)  # redis://secret@host: the "user" is the password
    # Both spellings: the percent-encoded one in the URL and the decoded one a server echoes.
    return tuple({form for s in secrets for form in (s, unquote(s)) if form})


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise UsageError(f"BRIDGE_REPLAY_TTL={value!r} is not a number of seconds") from None
    if seconds <= 0:
        raise UsageError("BRIDGE_REPLAY_TTL must be more than 0 seconds")
    return seconds


@dataclass(frozen=True)
class Config:
    data_dir: Path | None = None
    redis_url: str = DEFAULT_REDIS_URL
    use_redis: bool = True
    sample: bool = False
    redact: bool = False  # hide query text everywhere
    replay_ttl_s: float | None = None  # entries of the simulated similarity cache expire after this

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> "Config":
        """Read the environment, then apply explicit overrides (``None`` means not given)."""
        env = os.environ if env is None else env
        data = env.get("BRIDGE_DATA") or None
        values: dict[str, object] = {
            "data_dir": Path(data) if data else None,
            "redis_url": env.get("REDIS_URL") or DEFAULT_REDIS_URL,
            "use_redis": not _truthy(env.get("SKIP_REDIS")),
            "sample": _truthy(env.get("BRIDGE_SAMPLE")),
            "redact": _truthy(env.get("BRIDGE_REDACT")),
            "replay_ttl_s": _seconds(env.get("BRIDGE_REPLAY_TTL")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        cfg = cls(**values)  # type: ignore[arg-type]
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if self.data_dir is not None and not self.sample:
            if not self.data_dir.exists():
                raise UsageError(f"data folder {self.data_dir} does not exist",
                                 "Check --data or BRIDGE_DATA.")
            if not self.data_dir.is_dir():
                raise UsageError(f"data folder {self.data_dir} is not a folder",
                                 "Point --data or BRIDGE_DATA at your project folder.")
        scheme = urlsplit(self.redis_url).scheme if "://" in self.redis_url else ""
        if scheme not in {"redis", "rediss", "unix"}:
            raise UsageError(f"Redis URL {mask_url(self.redis_url)} is not a redis:// URL",
                             "Use redis://[user:password@]host:port/db, e.g. "
                             f"{DEFAULT_REDIS_URL}.")

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
    def redis_enabled(self) -> bool:
        return self.use_redis and not self.sample

    @property
    def redis_display(self) -> str:
        return mask_url(self.redis_url)

    @property
    def secrets(self) -> tuple[str, ...]:
        return url_secrets(self.redis_url)
