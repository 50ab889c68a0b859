"""Read-only Redis statistics through redis-py, bounded in time.

One ``RedisProbe`` per run: it connects at most once, and after a failure it
does not try again in the same run. Everything Redis is asked in a run (INFO,
every cluster primary, the live evidence) shares one deadline, ``BUDGET_S``
from the first question: an unreachable, silent, slow or dribbling Redis costs
at most that much per build, however many page blocks show its numbers. Each
exchange runs in a worker thread; at the deadline its connections are closed
(which ends the thread) and what did not finish is reported as such. On a Redis
Cluster the counters of every primary are summed, the primaries asked in
parallel (a plain ``INFO`` asks one node).

The client asks for nothing but what it reads: RESP2 (no ``HELLO``, so Redis
before 6 answers too), no ``CLIENT SETNAME``; a user with ``+info +ping`` is enough
for the hit rate (see the docs for the optional rest).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .config import url_secrets
from .errors import InputError, NotMeasured
from .memo import Memo

CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 1.0
BUDGET_S = 2.0  # everything asked of Redis in one run
T = TypeVar("T")

# Shared by every client: RESP2 (no HELLO), no retries (a retry would double the time a dead Redis
# costs), key names that are not UTF-8 shown with escapes instead of failing to decode, and no CLIENT
# SETINFO on connect (two round trips that a slow Redis makes expensive).
CLIENT_OPTIONS: dict[str, Any] = {"socket_connect_timeout": CONNECT_TIMEOUT_S, "socket_timeout": READ_TIMEOUT_S,
                                  "retry": Retry(NoBackoff(), 0), "decode_responses": True,
                                  "encoding_errors": "backslashreplace", "protocol": 2, "driver_info": None}


def _client(url: str, **overrides: Any) -> redis.Redis:
    return redis.Redis.from_url(url, **{**CLIENT_OPTIONS, **overrides})


class Deadline:
    """One point in time for all of a run's Redis traffic."""

    def __init__(self, seconds: float = BUDGET_S) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.end


class DeadlineExceeded(Exception):
    pass


def bounded(fn: Callable[[], T], deadline: Deadline, clients: list[redis.Redis]) -> T:
    """``fn()`` in a worker thread, waited for until the deadline. Past it, every connection of
    ``clients`` (a list the worker may still append to) is closed, which ends a worker blocked on
    a socket, and ``DeadlineExceeded`` is raised."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="bridge-redis", daemon=True)
    worker.start()
    worker.join(deadline.left())
    if worker.is_alive():
        for client in list(clients):
            try:
                client.connection_pool.disconnect()
            except Exception:  # closing is best effort: the thread is a daemon either way
                pass
        raise DeadlineExceeded()
    if "error" in box:
        raise box["error"]
    return box["value"]


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
    if isinstance(exc, DeadlineExceeded):
        return f"Redis at {display} did not finish answering within the {BUDGET_S:.0f} s allowed for Redis"
    if isinstance(exc, redis.TimeoutError):
        return f"Redis at {display} did not answer within {READ_TIMEOUT_S:.0f} s ({text})"
    if isinstance(exc, redis.ConnectionError):
        return f"Redis at {display} is not reachable ({text})"
    return f"Redis at {display}: {text}"


class RedisProbe:
    """Asks Redis once per run; remembers the answer or the failure."""

    def __init__(self, url: str, display: str, budget_s: float = BUDGET_S) -> None:
        self.url = url
        self.display = display
        self.budget_s = budget_s
        self._deadline: Deadline | None = None
        self._memo = Memo()
        self.clients: list[redis.Redis] = []  # every client opened, closed at the deadline

    @property
    def deadline(self) -> Deadline:
        """Set by the first question asked of Redis in this run."""
        if self._deadline is None:
            self._deadline = Deadline(self.budget_s)
        return self._deadline

    def client(self) -> redis.Redis:
        client = _client(self.url)
        self.clients.append(client)
        return client

    def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` within what is left of this run's deadline (``DeadlineExceeded`` past it)."""
        return bounded(fn, self.deadline, self.clients)

    def stats(self) -> RedisStats:
        """The counters, asked once per run: a failure is remembered and raised to every asker."""
        return self._memo.get("stats", self._read)

    def _read(self) -> RedisStats:
        try:
            client = self.client()
            try:
                return self.run(lambda: self._read_from(client))
            finally:
                client.close()
        except DeadlineExceeded as exc:
            raise NotMeasured(_describe(exc, self.display),
                              "Redis answers, but too slowly to be read within the time a build allows it: "
                              "check its load and the network to it.") from exc
        except redis.AuthenticationError as exc:
            if not url_secrets(self.url):
                raise InputError(f"Redis at {self.display} wants a password",
                                 "Add it to REDIS_URL: redis://:PASSWORD@host:port/0.") from exc
            raise InputError(f"Redis at {self.display} refused the credentials ({exc})",
                             "Put the right password in REDIS_URL: redis://:PASSWORD@host:port/0.") from exc
        except redis.exceptions.NoPermissionError as exc:
            raise InputError(f"Redis at {self.display}: this user may not run INFO ({exc})",
                             "Use a Redis user allowed to run INFO and PING (ACL: +info +ping).") from exc
        except redis.ResponseError as exc:
            if "NOAUTH" in str(exc) or "Authentication required" in str(exc):
                raise InputError(f"Redis at {self.display} wants a password",
                                 "Add it to REDIS_URL: redis://:PASSWORD@host:port/0.") from exc
            if "NOPERM" in str(exc):
                raise InputError(f"Redis at {self.display}: this user may not run INFO ({exc})",
                                 "Use a Redis user allowed to run INFO and PING (ACL: +info +ping).") from exc
            raise InputError(f"Redis at {self.display} answered with an error: {exc}") from exc
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise NotMeasured(_describe(exc, self.display),
                              "Start Redis, or set REDIS_URL / --redis to where it runs.") from exc
        except redis.RedisError as exc:
            raise InputError(_describe(exc, self.display)) from exc
        except (KeyError, TypeError, ValueError, AttributeError, UnicodeError) as exc:  # a reply not shaped like Redis's
            raise InputError(f"Redis at {self.display} answered with something that is not a Redis reply "
                             f"({exc.__class__.__name__}): is a Redis server listening there?") from exc

    def _read_from(self, client: redis.Redis) -> RedisStats:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        info = client.info()  # one round trip: server, stats and cluster sections
        if not isinstance(info, dict):
            raise InputError(f"Redis at {self.display} answered INFO with something that is not Redis's INFO "
                             "(is a Redis server listening there?)")
        if not info.get("cluster_enabled"):
            node = _node(self.display, info, info, self.display)
            return RedisStats(self.display, (node,), False, now, info=info, run_id=str(info.get("run_id", "")))
        stats = self._read_cluster(client)
        return replace(stats, measured_at=now, info=info, run_id=str(info.get("run_id", "")))

    def _read_cluster(self, client: redis.Redis) -> RedisStats:
        """Every primary that serves slots, asked in parallel within what is left of the deadline."""
        kwargs = client.get_connection_kwargs()
        primaries, problems = [], []
        nodes_reply = client.cluster("NODES")  # parsed by redis-py
        if not isinstance(nodes_reply, dict):
            raise InputError(f"Redis at {self.display} answered CLUSTER NODES with something unexpected")
        for address, node in nodes_reply.items():
            flags = set(str(node.get("flags", "")).split(","))
            if "master" not in flags or not node.get("slots"):
                continue
            if "fail" in flags or "fail?" in flags or "noaddr" in flags:
                problems.append(f"primary {address} is marked {node['flags']}")
                continue
            primaries.append(address)
        answers: dict[str, NodeStats | str] = {}

        def ask(address: str) -> None:
            host, _, port = address.rpartition(":")
            try:
                peer = redis.Redis(host=host, port=int(port), username=kwargs.get("username"),
                                   password=kwargs.get("password"), ssl=bool(kwargs.get("ssl", False)),
                                   **CLIENT_OPTIONS)
                self.clients.append(peer)
                with peer:
                    answers[address] = _node(address, peer.info("stats"), peer.info("server"), self.display)
            except (redis.RedisError, InputError, OSError, ValueError) as exc:
                answers[address] = _describe(exc, address) if not isinstance(exc, InputError) else exc.message

        workers = [threading.Thread(target=ask, args=(a,), daemon=True, name="bridge-redis-node") for a in primaries]
        for w in workers:
            w.start()
        for w in workers:
            w.join(self.deadline.left())
        if any(w.is_alive() for w in workers):
            for peer in list(self.clients):
                if peer is not client:
                    try:
                        peer.connection_pool.disconnect()
                    except Exception:
                        pass
        nodes = []
        for address in primaries:
            answer = answers.get(address)
            if isinstance(answer, NodeStats):
                nodes.append(answer)
            else:
                problems.append(answer or f"primary {address} did not answer within the {BUDGET_S:.0f} s "
                                          "allowed for Redis")
        if not nodes:
            raise NotMeasured(f"Redis Cluster at {self.display}: no primary answered ({'; '.join(problems)})",
                              "Check that the cluster's primaries are up and reachable from here.")
        return RedisStats(self.display, tuple(nodes), True, "", tuple(problems))


def _node(address: str, stats: Any, server: Any, display: str) -> NodeStats:
    """One node's counters, or an ``InputError`` when the reply is not Redis's INFO."""
    try:
        return NodeStats(address, int(stats["keyspace_hits"]), int(stats["keyspace_misses"]),
                         int(server["uptime_in_seconds"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"Redis at {display}: {address} answered INFO without the counters Redis gives "
                         f"(keyspace_hits, keyspace_misses, uptime_in_seconds): is a Redis server listening "
                         "there?") from exc
