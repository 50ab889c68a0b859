"""A labelled corpus for the failures judge: realistic documents and sections, in varied styles.

Each case: (name, failure id, document, documented?). ``documented`` is what a reviewer reading the
text would say: the failure is described and a fix that mitigates *that* failure has been done.
Written by the project's developers, with the negatives taken from what learners leave behind
(placeholders, plans, fixes for another failure); the judge's precision and recall on it are
printed by tests/test_failure_docs.py and stated on the failures page.
"""

CASES: list[tuple[str, str, str, bool]] = [
    # ---- documented, in many styles ----
    ("atx labels", "cache_stampede", """## Cache stampede
**Problem:** after a deploy 200 requests missed at once and all called the LLM.
**Fix:** a per-key lock with SET NX PX 5000; the others wait and read the cached value.
""", True),
    ("setext heading", "stale_data", """Stale data after updates
------------------------
Problem: answers built from old document chunks were served for a day.

Fix: the ingestion job publishes re-indexed document ids and a subscriber invalidates the tagged entries.
""", True),
    ("setext h1 prose", "memory_overflow", """Memory overflow
===============
Redis grew until the container was OOM-killed. We set maxmemory with allkeys-lru and put a TTL on every key.
""", True),
    ("prose only, no labels", "memory_overflow", """### Redis memory overflow
The embedding layer kept growing until Redis hit the container limit and got killed.
We set maxmemory with allkeys-lru and put a TTL on every key.
""", True),
    ("table row", "connection_timeout", """| Failure | What happened | Fix |
|---|---|---|
| Connection timeouts | a slow Redis made every request hang | 100 ms socket timeouts, retry with backoff, then fall back to the pipeline |
""", True),
    ("table, other headers", "hash_collision", """| Issue | Symptom | Mitigation |
|-------|---------|------------|
| Hash collisions | two questions shared a key built from 8 hex chars | keys now use the full SHA-256 of the prompt plus the model name |
""", True),
    ("list item", "stale_data", """Known failures:
- **Stale data**: event-based invalidation when documents are re-indexed, TTLs as a safety net.
""", True),
    ("sub-headings", "cache_stampede", """## Thundering herd on cold start
### Problem
The first minute after a deploy every popular question missed at once.
### Solution
We warm the response layer with yesterday's top 500 queries and add jitter to TTLs.
""", True),
    ("dash label", "connection_timeout", """## Connection timeouts
Problem — under load the client waited forever on a slow Redis.
Fix — a circuit breaker: after 5 errors the app skips the cache for 30 s.
""", True),
    ("probabilistic refresh", "cache_stampede", """# Dog-piling
What happened: hot keys expired together and the LLM got 300 identical calls.
How we fixed it: probabilistic early expiration (XFetch), so one request recomputes before expiry.
""", True),
    ("collision, namespacing", "hash_collision", """## Key collisions
Problem: the semantic and response layers wrote the same key for different values.
Fix: each layer has its own namespace prefix (resp:, sem:, emb:, ctx:) and the template version is in the key.
""", True),
    ("stale, versioned keys", "stale_data", """## Stale answers
Issue: after a pricing change users saw outdated prices for hours.
Resolution: cache keys include the document version, so an update writes new keys and old ones expire.
""", True),
    ("timeout, pool", "connection_timeout", """### Timeouts talking to Redis
Symptoms: p99 latency spikes to 30 s when Redis was busy.
Fix: connection pool sized to the worker count, and socket_timeout=0.1 on every client.
""", True),
    ("memory, LFU", "memory_overflow", """## OOM
Root cause: no memory limit; the semantic layer's vectors filled the instance.
Fix: maxmemory 4gb, maxmemory-policy allkeys-lfu, and vectors stored as float16.
""", True),
    ("numbered list", "cache_stampede", """Failures we hit
1. Cache stampede on cold start: single-flight per key, so one request computes and the rest wait.
2. Something else.
""", True),
    ("prose paragraph, we did", "connection_timeout", """## Connection timeout
When the Redis host was slow, requests piled up and the API timed out.
We now set a 100 ms connect and read timeout and fall back to the full pipeline on any Redis error.
""", True),
    ("fix on next line", "hash_collision", """## Hash collisions
**Problem:**
Keys from Python's hash() differed between workers and two prompts collided.

**Fix:**
Keys are built with hashlib.sha256 over the normalised prompt, model and template version.
""", True),
    ("bullet labels", "stale_data", """## Stale data
- Problem: context layer kept chunks from deleted documents.
- Fix: a webhook from the CMS deletes the cache entries of changed documents.
""", True),
    ("FAILURES.md terse", "memory_overflow", """## Redis memory overflow
Problem: eviction never happened, Redis refused writes with OOM errors.
Fix: maxmemory set and volatile-lru, plus TTLs on all layers.
""", True),
    ("request coalescing", "cache_stampede", """## Stampede
Problem: a cold cache sent 50 identical LLM calls in a second.
Fix: request coalescing in the API gateway.
""", True),
    ("table with bold cells", "cache_stampede", """| **Failure** | **Impact** | **Fix** |
| :--- | :--- | :--- |
| **Cache stampede** | LLM bill tripled after each deploy | lock per key (SET NX) plus cache warming |
""", True),
    ("timeouts retry", "connection_timeout", """## Connection Timeouts
Impact: 2% of requests failed with ConnectionError during failovers.
Fix: redis-py Retry with exponential backoff (3 attempts), bounded by a 1 s deadline.
""", True),
    ("collision, verify", "hash_collision", """## Collisions in the semantic layer
Problem: two different questions landed on the same 6-hex key.
Fix: we store the full original query with each entry and compare it before answering.
""", True),
    ("stale TTL short", "stale_data", """## Stale data after updates
Problem: the response layer served yesterday's answer after the FAQ changed.
Fix: TTL shortened to 1 hour for the response layer.
""", True),
    # ---- not documented ----
    ("not fixed yet", "cache_stampede", """## Cache stampede
**Problem:** cold starts send every request to the LLM.
**Fix:** not fixed yet.
""", False),
    ("TODO fix", "stale_data", """## Stale data
Problem: outdated answers after updates.
Fix: TODO
""", False),
    ("blah", "memory_overflow", """## Memory overflow
Problem: Redis ran out of memory and was killed.
Fix: blah blah blah
""", False),
    ("n/a", "hash_collision", """## Hash collisions
Problem: two prompts collided on a short key.
Fix: n/a
""", False),
    ("still investigating", "connection_timeout", """## Connection timeouts
Problem: requests hang when Redis is slow.
Fix: still investigating, maybe a timeout will help.
""", False),
    ("nothing changed", "stale_data", """## Stale data
Problem: users saw old prices.
Fix: nothing changed so far.
""", False),
    ("plan only", "cache_stampede", """## Cache stampede
Problem: 200 identical misses after each deploy.
Fix: we plan to add a per-key lock next sprint.
""", False),
    ("we could", "memory_overflow", """## OOM
Problem: Redis was OOM-killed twice.
Solution: we could set maxmemory with an eviction policy.
""", False),
    ("unfit mitigation, timeout", "connection_timeout", """## Connection timeouts
Problem: slow Redis made requests hang for 30 s.
Fix: we added more logging around the cache calls to see what happens.
""", False),
    ("unfit mitigation, stampede", "cache_stampede", """## Cache stampede
Problem: after deploys every request missed and hit the LLM.
Fix: we increased the LLM provider's rate quota and bought a bigger plan.
""", False),
    ("unfit mitigation, collision", "hash_collision", """## Hash collisions
Problem: one user received another user's answer.
Fix: we apologised to the user and restarted the service.
""", False),
    ("problem only", "memory_overflow", """## Redis memory overflow
Problem: with no maxmemory set, the embedding layer grew until the kernel killed Redis.
""", False),
    ("problem statement names what was missing", "connection_timeout", """## Connection timeouts
Under load the Redis client waited with no timeout, so a slow Redis made every request hang.
""", False),
    ("template placeholders", "stale_data", """## Stale Data After Updates
**Problem:** [Describe the issue]
**Fix:** [Your solution]
""", False),
    ("lorem ipsum", "hash_collision", """## Hash collisions
Problem: lorem ipsum dolor sit amet.
Fix: lorem ipsum dolor sit amet consectetur.
""", False),
    ("bare list", "cache_stampede", """Things to watch for:
- Cache stampede
- Stale data
""", False),
    ("table with TODO fix", "memory_overflow", """| Failure | Problem | Fix |
|---|---|---|
| Memory overflow | Redis filled up and crashed | TODO |
""", False),
    ("table without a fix column", "connection_timeout", """| Failure | When |
|---|---|
| Connection timeouts | every Monday morning |
""", False),
    ("none", "stale_data", """## Stale data
Problem: outdated answers for a day after each docs release.
Fix: none
""", False),
    ("fix for another failure", "stale_data", """## Stale data
Problem: after updates the cache kept old answers.
Fix: we put a per-key lock around recomputation.
""", False),
    ("tbd in list item", "hash_collision", """- Hash collisions: TBD
""", False),
    ("haven't", "connection_timeout", """## Connection timeouts
Problem: Redis failovers make the app hang.
Fix: haven't implemented retries or timeouts yet.
""", False),
    ("mention in prose elsewhere", "memory_overflow", """## Overview
We read about memory overflow in the course and it sounds bad.
""", False),
    ("negated prose", "cache_stampede", """## Thundering herd
Every deploy sends the whole traffic to the LLM for a minute. We did not add a lock or warming yet.
""", False),
    # ---- added after the judge was written, and not tuned for: its errors here are reported as they are ----
    ("mitigation label, jitter", "cache_stampede", """## Cache stampede
After deploys the cache is cold and every request reaches the LLM.
Mitigation: TTL jitter of 10% and a warm-up job before traffic.
""", True),
    ("code as the fix", "connection_timeout", """## Timeouts
Problem: flaky network to the managed Redis.
Fix: `redis.Redis(socket_connect_timeout=0.1, socket_timeout=0.1, retry=Retry(ExponentialBackoff(), 3))`
""", True),
    ("fix restates the problem", "hash_collision", """## Hash collisions
Problem: Python hash() is salted, so keys differ between workers.
Fix: Python's hash() is salted per process, so keys differ between workers.
""", False),
    ("prose, deletes affected keys", "stale_data", """## Stale data after updates
Old chunks lingered after re-indexing, so answers were out of date. Since March the indexer deletes
the affected cache keys as part of every re-index.
""", True),
    ("reboot is not a fix", "memory_overflow", """## Memory overflow
Problem: Redis crashed at 3am.
Fix: rebooted the server.
""", False),
    ("next quarter", "connection_timeout", """## Connection timeouts
Problem: the app hung.
Fix: will look into timeouts next quarter.
""", False),
    ("table, resolution column", "memory_overflow", """| Problem | Resolution |
|---|---|
| Redis memory overflow on Black Friday | eviction policy allkeys-lru and a 2 GB cap |
""", True),
    ("struck out and reverted", "cache_stampede", """## Stampede
Problem: misses spike after deploys.
Fix: ~~added a lock~~ reverted, not in production.
""", False),
]
