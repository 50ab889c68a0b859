"""The numbers the docs state are the constants the code uses: change one, and this fails."""

from __future__ import annotations

import pytest

from checks import embedding, evidence, files, hit_rate, redis_stats, similarity
from checks.config import Config
from conftest import ROOT

DOCS = ROOT / "docs"


def words(n: float) -> str:
    return {1: "one", 2: "two"}.get(int(n), str(n)) if float(n).is_integer() else str(n)


def page(name: str) -> str:
    return " ".join((DOCS / name).read_text(encoding="utf-8").split())  # line breaks as spaces


CLAIMS = [
    ("checks/hit-rate.md", f"read timeouts of {words(redis_stats.READ_TIMEOUT_S)} second"),
    ("checks/hit-rate.md", f"one deadline of {words(redis_stats.BUDGET_S)} seconds"),
    ("your-data.md", f"deadline of {redis_stats.BUDGET_S:g} seconds"),
    ("checks/hit-rate.md", f"asks Redis every {Config().poll_seconds:g} seconds"),
    ("your-data.md", f"Redis is asked every {Config().poll_seconds:g} seconds"),
    ("checks/failures.md", f"round-trip time over {evidence.PINGS} `PING`s"),
    ("checks/failures.md", f"up to {evidence.SCAN_CAP:,} keys listed with `SCAN`"),
    ("checks/query-diversity.md", f"| every distinct query in the log carries a vector | "
                                  f"{similarity.DEFAULT_THRESHOLD['vectors']:.2f} |"),
    ("checks/query-diversity.md", "the result is then a warning | "
                                  f"{similarity.DEFAULT_THRESHOLD['text']:.2f} |"),
    ("checks/query-diversity.md", f"| the default | {embedding.DEFAULT_THRESHOLD:.2f} |"),
    ("checks/query-diversity.md", "**" + ", ".join(f"{t:.2f}" for t in sorted({*similarity.THRESHOLDS,
                                                                            embedding.DEFAULT_THRESHOLD})[:-1])
     + f" and {similarity.THRESHOLDS[-1]:.2f}**"),
    ("checks/query-diversity.md", f"up to {similarity.EXACT_LIMIT:,} distinct queries, every pair of vectors"),
    ("data-formats.md", f"at most {files.MAX_TEXT_BYTES // 1024 // 1024} MiB, checked while it is read"),
    ("checks/hit-rate.md", f"Fewer than {hit_rate.MIN_LOOKUPS} lookups is not a verdict"),
]


@pytest.mark.parametrize("name,claim", CLAIMS, ids=[c[1][:40] for c in CLAIMS])
def test_the_docs_state_the_constant(name, claim):
    assert claim in page(name), f"{name} no longer says {claim!r}"
