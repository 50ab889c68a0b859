"""The benchmark scripts still run and print their verdicts (their figures are never asserted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run(*args: str, timeout: int = 300) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "REDIS_URL", "SKIP_REDIS"))}
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="benchmarks/querylog.py reads peak memory with `resource`")
def test_querylog_benchmark_runs_on_a_small_log():
    out = run("benchmarks/querylog.py", "--sizes", "3000", "--rounds", "2")
    for what in ("json", "reader", "priced", "cold", "warm"):
        assert re.search(rf"3,000\s+{what}\s+[\d.]+\s+[\d,]+\s+[\d.]+×", out), what
    cold = re.search(r"3,000\s+cold\s.*?([\d,]+) distinct, embedding, diversity", out)
    assert cold and 0 < int(cold.group(1).replace(",", "")) <= 3000
    assert re.search(r"3,000\s+gap\s.*replay hit rate exact [\d.]+%, with sketches [\d.]+%", out)


def test_build_benchmark_prints_every_verdict():
    out = run("benchmarks/build.py", "--runs", "1")
    for label in ("full build, cold", "full build, warm", "floor: same pages, checks off",
                  "build, Redis never answers", "analysis of the sample log"):
        assert re.search(re.escape(label) + r".*\d+\.\d\d s", out), label
    assert re.search(r"checks / full build \(warm\) = \d\.\d\d  \(target ≤ 0\.20: (met|NOT met)\)", out)
    assert re.search(r"Redis refusing or silent  = \+\d\.\d\d s / \+\d\.\d\d s", out)


@pytest.mark.skipif(sys.platform == "win32", reason="benchmarks/hostile.py uses FIFOs and `resource`")
def test_hostile_benchmark_prints_every_verdict():
    out = run("benchmarks/hostile.py", "--runs", "1")
    for label in ("doc: 200k one-line headings", "sparse 2 GB query log", "FIFO as cost_analytics.json",
                  "Redis, every reply held 0.9 s", "peer dribbling a byte per 0.5 s"):
        assert re.search(re.escape(label) + r"\s+\d+\.\d\d\s+\d+\s+.*(met|NOT met)", out), label


def test_redis_retry_benchmark_prints_the_default_and_the_bounded_retry():
    out = run("benchmarks/redis_retry.py", timeout=120)
    assert re.search(r"default retry \(10 retries\)\s+median\s+[\d.]+ s", out)
    assert re.search(r"Retry\(NoBackoff\(\), 0\)\s+median\s+[\d.]+ s", out)


def test_redis_py_still_retries_ten_times_by_default():
    """The failures page says so; a new redis-py that changes it must change the page."""
    import inspect

    import redis

    default = inspect.signature(redis.Redis.__init__).parameters["retry"].default
    assert default.get_retries() == 10


def test_repeat_truth_benchmark_prints_truth_estimate_focus_and_false_hits(tmp_path):
    import json

    lines = []
    for i in range(120):  # 40 order numbers asked three times each: two thirds repeats
        lines.append({"ts": 1_700_000_000 + i, "query": f"Where is order {4_000_000 + 97 * (i % 40)}?",
                      "need": f"order-{i % 40}", "truth_hit": i >= 40})
    (tmp_path / "orders_1.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    out = run("benchmarks/repeat_truth.py", str(tmp_path))
    row = re.search(r"orders_1\s+120\s+66\.7%\s+([\d.]+)%\s+\d+%–\d+%\s+[+-][\d.]+\s+\S.*?\s+(\d+)%", out)
    assert row, out
    assert "leave-one-source-out" in out and re.search(r"mean \|gap\| [\d.]+ pp over the fitted sources", out)


def test_ann_window_benchmark_runs_without_the_libraries():
    out = run("benchmarks/ann_window.py", "--requests", "2000")
    assert re.search(r"2,000 requests, [\d,]+ distinct queries; embedding them: [\d.]+ s", out)
    assert re.search(r"faiss-cpu (not installed|.* search all [\d.]+ s)", out)
