"""Live evidence beside each of the five failures: read-only, bounded, and undisturbing.

Nothing here writes to Redis, runs ``KEYS`` or resets a counter. Evidence must not change
what the hit-rate check measures, and in Redis ``TTL``, ``TYPE``, ``EXISTS`` and ``OBJECT``
each count as a keyspace hit or miss: so keys are only listed (``SCAN`` counts no lookups),
and expiry is read from ``INFO keyspace`` (keys and keys-with-expiry per database), never
key by key. The price: the share of keys without a TTL is per database, not per key prefix.

A finding never fails a check; it is shown next to what the learner wrote, as a hint.
"""

from __future__ import annotations

import math
import re
import statistics
import time
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .redis_stats import RedisProbe, RedisStats

SCAN_COUNT = 500
SCAN_CAP = 2000  # keys sampled at most
SCAN_SECONDS = 1.0
PINGS = 20

_HEX = re.compile(r"^[0-9a-f]+$", re.IGNORECASE)
_DECIMAL = re.compile(r"^-?\d+$")


def collision_odds(keys: int, bits: int) -> float:
    """Probability that at least two of ``keys`` random ``bits``-bit hashes collide (birthday bound)."""
    if keys < 2:
        return 0.0
    return -math.expm1(-keys * (keys - 1) / 2 / 2.0 ** bits)


_HEX_LETTER = re.compile(r"[a-f]", re.IGNORECASE)
MIN_TO_JUDGE = 4  # fewer keys of a shape under one prefix than this say nothing about their distribution


def key_shape(key: str) -> tuple[str, str]:
    """(prefix, shape of the part after the last ':'), judged on this key alone; see ``key_shapes``."""
    return key_shapes([key])[0]


def key_shapes(keys: list[str]) -> list[tuple[str, str]]:
    """(prefix, shape) of each key, judged on the whole sample under its prefix, not key by key.

    * ``hexN``: N hex characters, where the prefix's keys of that length show the letters a-f a hash
      would (an all-digit key among them is a hash that happened to draw no letter);
    * ``python_hash``: 15-20 digit decimals, signed as Python's salted ``hash()`` is: about half of
      them negative;
    * ``decimal``: numbers that are neither, such as sequential ids (``key:123456``);
    * ``other``.
    """
    parts = []
    for key in keys:
        prefix, _, last = key.rpartition(":")
        parts.append((prefix or "(no prefix)", last))
    lettered: set[tuple[str, int]] = set()  # (prefix, length) whose hex keys show letters
    values: dict[tuple[str, int], list[int]] = defaultdict(list)
    negatives: dict[str, int] = defaultdict(int)
    long_decimals: dict[str, int] = defaultdict(int)
    for prefix, last in parts:
        if _HEX.match(last) and _HEX_LETTER.search(last):
            lettered.add((prefix, len(last)))
        if _HEX.match(last) and 6 <= len(last) <= 64:
            values[(prefix, len(last))].append(int(last, 16))
        if _DECIMAL.match(last) and 15 <= len(last.lstrip("-")) <= 20:
            long_decimals[prefix] += 1
            negatives[prefix] += last.startswith("-")
    # Hashes spread over their whole range; ids counted up from somewhere stay in a corner of it.
    sequential = {group for group, vs in values.items()
                  if len(vs) >= MIN_TO_JUDGE and max(vs) - min(vs) < 16 ** group[1] / 100}
    out = []
    for prefix, last in parts:
        if _HEX.match(last) and len(last) >= 6 and (prefix, len(last)) in sequential:
            out.append((prefix, "decimal" if last.isdigit() else "sequential"))
        elif _HEX.match(last) and len(last) >= 6 and (prefix, len(last)) in lettered:
            out.append((prefix, f"hex{len(last)}"))  # shown as "N-hex" (N hex characters)
        elif _DECIMAL.match(last):
            n = long_decimals[prefix]
            signed = n >= MIN_TO_JUDGE and 0.2 <= negatives[prefix] / n <= 0.8
            python = 15 <= len(last.lstrip("-")) <= 20 and (signed or (n < MIN_TO_JUDGE and last.startswith("-")))
            out.append((prefix, "python_hash" if python else "decimal"))
        else:
            out.append((prefix, "other"))
    return out


def _keyspace(info: dict) -> tuple[int, int]:
    keys = expires = 0
    for name, value in info.items():
        if re.fullmatch(r"db\d+", name) and isinstance(value, dict):
            keys += _int(value.get("keys", 0))
            expires += _int(value.get("expires", 0))
    return keys, expires


def gather(probe: "RedisProbe", stats: "RedisStats") -> dict:
    """Facts and findings per failure id, from one short read-only session."""
    info = stats.info
    out: dict[str, dict] = {}
    notes: list[str] = []
    if stats.cluster:
        notes.append("Redis Cluster: memory, keys and latency are those of the node in REDIS_URL.")

    # Redis memory overflow (OOM): INFO memory and stats.
    maxmemory = _int(info.get("maxmemory", 0))
    used = _int(info.get("used_memory", 0))
    policy = str(info.get("maxmemory_policy", ""))
    evicted = _int(info.get("evicted_keys", 0))
    oom = {"maxmemory": maxmemory, "maxmemory_policy": policy, "used_memory": used, "evicted_keys": evicted,
           "findings": []}
    if maxmemory == 0:
        oom["findings"].append("No memory limit (maxmemory 0): the cache grows until the host runs out of memory.")
    elif used >= 0.9 * maxmemory:
        oom["findings"].append(f"Memory at {used / maxmemory:.0%} of maxmemory.")
    if policy == "noeviction":
        oom["findings"].append("Eviction policy noeviction: a full cache refuses writes instead of evicting.")
    out["memory_overflow"] = oom

    # Stale data: keys without an expiry, from INFO keyspace (no lookups).
    keys, expires = _keyspace(info)
    stale = {"keys": keys, "keys_with_ttl": expires,
             "share_without_ttl": None if keys == 0 else 1 - expires / keys, "findings": []}
    if keys and expires < keys:
        stale["findings"].append(f"{keys - expires:,} of {keys:,} keys ({1 - expires / keys:.0%}) have no TTL: "
                                 "they stay until evicted or deleted, however stale.")
    out["stale_data"] = stale

    conn = {"rejected_connections": _int(info.get("rejected_connections")), "timeout_s": None,
            "ping_ms_median": None, "ping_ms_worst": None, "findings": []}
    hashes = {"sampled_keys": None, "by_prefix": {}, "findings": []}  # None: not sampled
    _live_facts(probe, conn, hashes, keys, notes)
    if conn["rejected_connections"]:
        conn["findings"].append(f"{conn['rejected_connections']:,} connections rejected since the last restart "
                                "(maxclients reached).")
    if conn["ping_ms_worst"] is not None and conn["ping_ms_worst"] > 100:
        conn["findings"].append(f"Worst round trip {conn['ping_ms_worst']:.0f} ms over {conn.get('pings', PINGS)} PINGs.")
    out["connection_timeout"] = conn
    out["hash_collision"] = hashes
    out["notes"] = notes
    return out


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _live_facts(probe: "RedisProbe", conn: dict, hashes: dict, total_keys: int, notes: list[str]) -> None:
    """PINGs, CONFIG GET timeout and a SCAN sample, each step within what is left of the run's Redis
    deadline. A worker does the talking and hands each finished step over; at the deadline the steps
    not finished are named, and nothing a late worker does can change what was handed over."""
    import redis

    from .redis_stats import DeadlineExceeded

    done: list[tuple[str, object]] = []  # (step, value), appended by the worker only when a step is complete

    def talk() -> None:
        client = probe.client()
        try:
            times = []
            for _ in range(PINGS):
                if probe.deadline.passed:
                    break
                began = time.perf_counter()
                client.ping()
                times.append((time.perf_counter() - began) * 1000)
            if times:
                done.append(("pings", times))
            try:
                done.append(("timeout", _int(client.config_get("timeout").get("timeout", 0))))
            except redis.ResponseError as exc:  # CONFIG may be renamed or not allowed to this user
                done.append(("note", f"CONFIG GET timeout not allowed ({exc})."))
            sampled: list[str] = []
            cursor = 0
            scan_until = time.monotonic() + SCAN_SECONDS
            try:
                while True:
                    cursor, batch = client.scan(cursor=cursor, count=SCAN_COUNT)
                    sampled.extend(str(k) for k in batch)
                    if cursor == 0 or len(sampled) >= SCAN_CAP or time.monotonic() > scan_until \
                            or probe.deadline.passed:
                        break
            except redis.ResponseError as exc:
                done.append(("note", f"SCAN not allowed to this user ({exc}); key shapes not sampled."))
                return
            done.append(("keys", sampled[:SCAN_CAP]))
        finally:
            client.close()

    try:
        probe.run(talk)
    except DeadlineExceeded:
        steps = {step for step, _ in list(done)}
        missing = [name for step, name in (("pings", "round-trip times"), ("timeout", "the server's timeout"),
                                           ("keys", "key shapes")) if step not in steps]
        notes.append(f"Live evidence stopped at the {probe.deadline.seconds:.0f} s allowed for Redis; not gathered: "
                     + ", ".join(missing) + ".")
    except (redis.RedisError, OSError) as exc:
        notes.append(f"Live evidence stopped early: {exc}")
    for step, value in list(done):
        if step == "pings":
            conn["ping_ms_median"] = statistics.median(value)  # type: ignore[arg-type]
            conn["ping_ms_worst"] = max(value)  # type: ignore[type-var]
            conn["pings"] = len(value)  # type: ignore[arg-type]
        elif step == "timeout":
            conn["timeout_s"] = value
        elif step == "note":
            notes.append(str(value))
        elif step == "keys":
            _key_facts(value, hashes, total_keys)  # type: ignore[arg-type]


def _key_facts(sampled: list[str], hashes: dict, total_keys: int) -> None:
    shapes: dict[str, Counter] = defaultdict(Counter)
    for prefix, shape in key_shapes(sampled):
        shapes[prefix][shape] += 1
    hashes["sampled_keys"] = len(sampled)
    hashes["by_prefix"] = {p: dict(c) for p, c in sorted(shapes.items())}
    for prefix, counter in sorted(shapes.items()):
        for shape, n in counter.items():
            if shape == "python_hash":
                hashes["findings"].append(
                    f"{prefix}: {n} sampled keys end in a decimal number shaped like Python's hash(), which is "
                    "salted per process: the same query gets a different key in every worker and after every "
                    "restart.")
            elif shape.startswith("hex") and int(shape[3:]) < 16:
                bits = 4 * int(shape[3:])
                odds = collision_odds(total_keys, bits)
                odds_text = f"{odds:.1%}" if odds >= 0.001 else f"about 1 in {1 / odds:,.0f}" if odds else "nil"
                hashes["findings"].append(
                    f"{prefix}: {n} sampled keys end in a {shape[3:]}-character hex hash ({bits} bits): with your "
                    f"{total_keys:,} keys the odds of at least one collision are {odds_text}, and they grow "
                    f"with the square of the key count (at 100,000 keys: {collision_odds(100_000, bits):.0%}).")
