"""State that outlives one build during ``mkdocs serve``: what each Redis said last time.

The hooks reload every other ``checks`` module before each rebuild (so an author's edit
takes effect without restarting the server); this one is kept, so that a restart of Redis
between two refreshes can be told apart from new traffic.
"""

from __future__ import annotations

# display URL -> (run_id, hits, misses) at the previous look
last_seen: dict[str, tuple[str, int, int]] = {}


def compare(display: str, run_id: str, hits: int, misses: int) -> str | None:
    """A sentence when the counters dropped since the last look (Redis restarted), else None."""
    before = last_seen.get(display)
    last_seen[display] = (run_id, hits, misses)
    if before is None:
        return None
    old_run, old_hits, old_misses = before
    if run_id != old_run or hits < old_hits or misses < old_misses:
        return (f"Redis restarted since the last refresh: its counters went from {old_hits + old_misses:,} "
                f"lookups back to {hits + misses:,}, and count again from zero.")
    return None
