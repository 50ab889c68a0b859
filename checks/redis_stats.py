"""Read-only Redis statistics through redis-py, bounded in time.

One ``RedisProbe`` per run: it connects at most once, and after a failure it
does not try again in the same run, so an unreachable or silent Redis costs
one timeout per build, not one per page block. On a Redis Cluster the
counters of every primary are summed (a plain ``INFO`` asks one node).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .config import url_secrets
from .errors import InputError, NotMeasured

CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 1.0


def _client(url: str, **overrides: Any) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=READ_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),  # a retry would double the time a dead Redis costs
        decode_responses=True,
        client_name="bridge-checks",
        **overrides,
    )


@dataclass(frozen=True)
class NodeStats:
    address: str
    hits: int
    misses: int
    uptime_s: int


@dataclass(frozen=True)
class RedisStats:
    """``INFO stats`` counters, summed over the primaries when clustered."""

    display: str  # where they came from, password masked
    nodes: tuple[NodeStats, ...]
    cluster: bool
    measured_at: str
    version: str = ""
    problems: tuple[str, ...] = field(default=())  # nodes that did not answer
    info: dict = field(default_factory=dict, compare=False)  # INFO of the node we connected to
    run_id: str = ""

    @property
    def hits(self) -> int:
        return sum(n.hits for n in self.nodes)

    @property
    def misses(self) -> int:
        return sum(n.misses for n in self.nodes)

    @property
    def uptime_s(self) -> int:
        # Counters are cumulative since each node's restart: the youngest node bounds the window.
        return min(n.uptime_s for n in self.nodes)


def _describe(exc: Exception, display: str) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, redis.TimeoutError):
        return f"Redis at {display} did not answer within {READ_TIMEOUT_S:.0f} s ({text})"
    if isinstance(exc, redis.ConnectionError):
        return f"Redis at {display} is not reachable ({text})"
    return f"Redis at {display}: {text}"


class RedisProbe:
    """Asks Redis once per run; remembers the answer or the failure."""

    def __init__(self, url: str, display: str) -> None:
        self.url = url
        self.display = display
        self._stats: RedisStats | None = None
        self._failure: Exception | None = None
        self._evidence: dict | None = None

    def evidence(self) -> dict:
        """Read-only facts for the failures page, gathered once per run (see ``evidence.py``)."""
        if self._evidence is None:
            from .evidence import gather

            self._evidence = gather(self, self.stats())
        return self._evidence

    def client(self) -> redis.Redis:
        return _client(self.url)

    def stats(self) -> RedisStats:
        if self._stats is None and self._failure is None:
            try:
                self._stats = self._read()
            except Exception as exc:  # remembered and re-raised: one attempt per run
                self._failure = exc
        if self._failure is not None:
            raise self._failure
        assert self._stats is not None
        return self._stats

    def _read(self) -> RedisStats:
        try:
            client = _client(self.url)
            try:
                return self._read_from(client)
            finally:
                client.close()
        except redis.AuthenticationError as exc:
            if not url_secrets(self.url):
                raise InputError(f"Redis at {self.display} wants a password",
                                 "Add it to REDIS_URL: redis://:PASSWORD@host:port/0.") from exc
            raise InputError(f"Redis at {self.display} refused the credentials ({exc})",
                             "Put the right password in REDIS_URL: redis://:PASSWORD@host:port/0.") from exc
        except redis.exceptions.NoPermissionError as exc:
            raise InputError(f"Redis at {self.display}: this user may not run INFO ({exc})",
                             "Use a Redis user allowed to run INFO (ACL: +info).") from exc
        except redis.ResponseError as exc:
            if "NOAUTH" in str(exc) or "Authentication required" in str(exc):
                raise InputError(f"Redis at {self.display} wants a password",
                                 "Add it to REDIS_URL: redis://:PASSWORD@host:port/0.") from exc
            if "NOPERM" in str(exc):
                raise InputError(f"Redis at {self.display}: this user may not run INFO ({exc})",
                                 "Use a Redis user allowed to run INFO (ACL: +info).") from exc
            raise InputError(f"Redis at {self.display} answered with an error: {exc}") from exc
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise NotMeasured(_describe(exc, self.display),
                              "Start Redis, or set REDIS_URL / --redis to where it runs.") from exc
        except redis.RedisError as exc:
            raise InputError(_describe(exc, self.display)) from exc

    def _read_from(self, client: redis.Redis) -> RedisStats:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        info = client.info()  # one round trip: server, stats and cluster sections
        if not info.get("cluster_enabled"):
            node = NodeStats(self.display, int(info["keyspace_hits"]), int(info["keyspace_misses"]),
                             int(info["uptime_in_seconds"]))
            return RedisStats(self.display, (node,), False, now, str(info.get("redis_version", "")),
                              info=info, run_id=str(info.get("run_id", "")))
        stats = self._read_cluster(client, now, str(info.get("redis_version", "")))
        return replace(stats, info=info, run_id=str(info.get("run_id", "")))

    def _read_cluster(self, client: redis.Redis, now: str, version: str) -> RedisStats:
        nodes, problems = [], []
        kwargs = client.get_connection_kwargs()
        for address, node in client.cluster("NODES").items():  # parsed by redis-py
            flags = set(node["flags"].split(","))
            if "master" not in flags or not node.get("slots"):
                continue
            if "fail" in flags or "fail?" in flags or "noaddr" in flags:
                problems.append(f"primary {address} is marked {node['flags']}")
                continue
            host, _, port = address.rpartition(":")
            try:
                with redis.Redis(host=host, port=int(port), username=kwargs.get("username"),
                                 password=kwargs.get("password"), ssl=bool(kwargs.get("ssl", False)),
                                 socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=READ_TIMEOUT_S,
                                 retry=Retry(NoBackoff(), 0), decode_responses=True) as peer:
                    stats = peer.info("stats")
                    server = peer.info("server")
            except redis.RedisError as exc:
                problems.append(_describe(exc, address))
                continue
            nodes.append(NodeStats(address, int(stats["keyspace_hits"]), int(stats["keyspace_misses"]),
                                   int(server["uptime_in_seconds"])))
        if not nodes:
            raise NotMeasured(f"Redis Cluster at {self.display}: no primary answered ({'; '.join(problems)})",
                              "Check that the cluster's primaries are up and reachable from here.")
        return RedisStats(self.display, tuple(nodes), True, now, version, tuple(problems))
