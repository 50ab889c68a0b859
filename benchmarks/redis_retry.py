"""How long redis-py takes to give up on a Redis that refuses connections, with its default retries
and with retries bounded, both with 100 ms socket timeouts (the failures page quotes these).

    python benchmarks/redis_retry.py

redis-py 8.1 retries 10 times by default with exponential backoff and jitter (10 ms doubling,
capped at 1 s), so the default's figure varies from run to run around 4 s; the figures are printed,
never asserted.
"""

from __future__ import annotations

import socket
import statistics
import time

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry


def refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def attempt(port: int, **kw) -> float:
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.1, socket_connect_timeout=0.1, **kw)
    began = time.perf_counter()
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pass
    return time.perf_counter() - began


def main() -> None:
    port = refused_port()
    cases = {"default retry (10 retries)": {},
             "Retry(ExponentialBackoff(cap=0.05, base=0.01), retries=1)":
                 {"retry": Retry(ExponentialBackoff(cap=0.05, base=0.01), retries=1)},
             "Retry(NoBackoff(), 0)": {"retry": Retry(NoBackoff(), 0)}}
    print(f"redis-py {redis.__version__}; a refused connection, 100 ms socket timeouts, 3 attempts each")
    for name, kw in cases.items():
        times = [attempt(port, **kw) for _ in range(3)]
        print(f"  {name:<60} median {statistics.median(times):6.2f} s  (max {max(times):.2f} s)")


if __name__ == "__main__":
    main()
