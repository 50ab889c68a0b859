"""The analytics cache is keyed on the bytes analysed: it can never show an old number."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checks import Config, run
from checks import cache
from conftest import ROOT, by_id


def write_log(folder: Path, misses: int) -> None:
    records = [{"ts": i * 60, "query": f"question {i % 7}", "cache_layer": "none" if i < misses else "response",
                "model": "gpt-4o-mini", "input_tokens": 1000, "output_tokens": 200} for i in range(200)]
    (folder / "query_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


CONFIG = Config.from_env(validate=False)  # where this test session keeps its cache (see conftest)


def hit_rate_and_baseline(folder: Path) -> tuple[float, float]:
    got = by_id(run(Config(data_dir=folder, use_redis=False, cache_dir=CONFIG.cache_root)))
    return got["hit_rate"].metrics["request_hit_rate"], got["cost_savings"].metrics["baseline_cost_per_day"]


def test_changed_bytes_are_analysed_again(tmp_path):
    write_log(tmp_path, misses=150)
    first = hit_rate_and_baseline(tmp_path)
    assert first[0] == pytest.approx(0.25)
    assert any(cache.folder(CONFIG.cache_root).glob("*.pickle"))  # the analysis was kept
    assert hit_rate_and_baseline(tmp_path) == first  # and served again for the same bytes
    write_log(tmp_path, misses=50)
    assert hit_rate_and_baseline(tmp_path)[0] == pytest.approx(0.75)


def test_prices_file_is_part_of_the_key(tmp_path):
    write_log(tmp_path, misses=100)
    (tmp_path / "prices.json").write_text(json.dumps({"retrieval_usd_per_query": 0.0}), encoding="utf-8")
    base = hit_rate_and_baseline(tmp_path)[1]
    (tmp_path / "prices.json").write_text(json.dumps({"retrieval_usd_per_query": 0.01}), encoding="utf-8")
    assert hit_rate_and_baseline(tmp_path)[1] != pytest.approx(base)


def test_cache_can_be_turned_off(tmp_path):
    off = Config.from_env({"BRIDGE_NO_CACHE": "1", "BRIDGE_CACHE_DIR": str(CONFIG.cache_root)}, validate=False)
    assert off.use_cache is False
    assert cache.load(off, "anything") is None
    cache.save(off, "anything", 1)
    assert not (cache.folder(CONFIG.cache_root) / "anything.pickle").exists()
    cache.save(CONFIG, "anything", 1)
    assert cache.load(CONFIG, "anything") == 1


def test_a_corrupt_entry_is_recomputed(tmp_path):
    (cache.folder(CONFIG.cache_root) / "broken.pickle").write_bytes(b"not a pickle")
    assert cache.load(CONFIG, "broken") is None


def test_cache_folder_is_private():
    if os.name == "nt":
        pytest.skip("POSIX permissions")
    assert cache.folder(CONFIG.cache_root).stat().st_mode & 0o077 == 0


def test_the_shipped_sample_analysis_is_current_and_true():
    """checks/sample_analysis.pickle is the same code's output for the shipped log: its key is the one a run
    computes now, and a fresh analysis gives the same figures. If this fails, regenerate it with
    `python scripts/make_sample_log.py stubs/query_log.jsonl --analysis`."""
    import pickle
    import sys as _sys

    from checks import Config, cache
    from checks.context import Context

    ctx = Context(Config(sample=True, use_cache=False))
    log = ctx.log_path()
    name = ctx.analysis_key(log, cache.file_digest(ctx.folder / "prices.json"))
    with open(cache.SHIPPED_SAMPLE, "rb") as fh:
        stored = pickle.load(fh)
    assert stored["key"] == name, "stale: run scripts/make_sample_log.py stubs/query_log.jsonl --analysis"
    shipped = stored["traffic"]
    from checks.prices import PriceBook
    from checks.traffic import analyse

    fresh = analyse(log, PriceBook.load(ctx.folder, ctx.describe))
    assert fresh.layers == shipped.layers and fresh.costs() == shipped.costs()
    fresh_replay = fresh.replay(None)
    assert fresh_replay.answered == shipped._replay.answered
    assert fresh_replay.buckets == shipped._replay.buckets
    assert "numpy" in _sys.modules  # the fresh analysis needed it; the shipped one is read without it


def test_a_sample_run_imports_no_heavy_library(tmp_path):
    code = ("import sys\nfrom checks import Config, run\nrun(Config(sample=True, use_cache=False))\n"
            "print(sorted(m for m in ('numpy', 'scipy', 'model2vec', 'genai_prices', 'tokenizers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_an_unchanged_log_is_not_read_again_in_the_same_process(tmp_path, monkeypatch):
    """Under `mkdocs serve` every rebuild makes a new run: an unchanged log is neither hashed nor
    unpickled again, and a changed one is."""
    from checks import context

    log = tmp_path / "query_log.jsonl"
    log.write_text("".join(json.dumps({"ts": 1_800_000_000 + i, "query": f"q{i % 7}", "cache_layer": "none"}) + "\n"
                           for i in range(50)))
    reads = []
    real = cache.file_digest
    monkeypatch.setattr(cache, "file_digest", lambda p: reads.append(p) or real(p))
    first = run(Config(data_dir=tmp_path, use_redis=False, use_cache=False))
    n = len(reads)
    second = run(Config(data_dir=tmp_path, use_redis=False, use_cache=False))
    assert len(reads) == n and by_id(second)["hit_rate"].metrics == by_id(first)["hit_rate"].metrics
    with open(log, "a") as fh:
        fh.write(json.dumps({"ts": 1_800_000_100, "query": "new", "cache_layer": "response"}) + "\n")
    third = by_id(run(Config(data_dir=tmp_path, use_redis=False, use_cache=False)))["hit_rate"]
    assert len(reads) > n and third.metrics["hits"] == 1
    context._RECENT.clear()
