"""Live evidence beside the five failures, against a real Redis seeded with known keys."""

from __future__ import annotations

import json
import shutil

import pytest

from checks import Config, Status, run
from checks.evidence import collision_odds, key_shape, key_shapes
from conftest import SCENARIOS, by_id, drive, seed

FAILURES = (SCENARIOS / "healthy" / "FAILURES.md").read_text(encoding="utf-8")


def failure_docs(folder, url):
    report = run(Config(data_dir=folder, redis_url=url))
    return by_id(report)


def test_findings_sit_beside_the_documented_failures(redis_server, tmp_path):
    seed(redis_server)
    (tmp_path / "FAILURES.md").write_text(FAILURES, encoding="utf-8")
    r = failure_docs(tmp_path, redis_server.url)["failure_docs"]
    assert r.status is Status.PASS  # a finding never fails a documented failure
    ev = r.metrics["evidence"]
    assert ev["memory_overflow"]["maxmemory"] == 0
    assert any("No memory limit" in f for f in ev["memory_overflow"]["findings"])
    assert ev["stale_data"]["keys"] == 70 and ev["stale_data"]["keys_with_ttl"] == 30
    assert ev["stale_data"]["share_without_ttl"] == pytest.approx(40 / 70)
    assert ev["hash_collision"]["by_prefix"] == {"emb:v2": {"hex64": 10}, "resp:v1": {"hex8": 40},
                                                 "sem": {"python_hash": 20}}
    findings = " ".join(ev["hash_collision"]["findings"])
    assert "resp:v1" in findings and "32 bits" in findings and "salted per process" in findings
    assert "emb:v2" not in findings
    assert ev["connection_timeout"]["ping_ms_median"] is not None
    assert ev["connection_timeout"]["timeout_s"] == 0
    text = " ".join(r.details)
    assert "Finding, Hash collisions" in text and "Evidence, Stale data after updates" in text


def test_evidence_does_not_disturb_the_hit_rate(redis_server, tmp_path):
    seed(redis_server)
    drive(redis_server, hits=70, misses=30)
    for _ in range(3):  # every refresh sees the same counters, evidence or not
        by_id = failure_docs(tmp_path, redis_server.url)
        assert (by_id["hit_rate"].metrics["hits"], by_id["hit_rate"].metrics["misses"]) == (70, 30)
        assert "evidence" in by_id["failure_docs"].metrics


def test_memory_limit_and_policy_findings(redis_factory, tmp_path):
    server = redis_factory("--maxmemory", "2mb", "--maxmemory-policy", "noeviction")
    ev = failure_docs(tmp_path, server.url)["failure_docs"].metrics["evidence"]["memory_overflow"]
    assert ev["maxmemory"] == 2 * 1024 * 1024 and ev["maxmemory_policy"] == "noeviction"
    assert any("noeviction" in f for f in ev["findings"])
    server2 = redis_factory("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru")
    ev2 = failure_docs(tmp_path, server2.url)["failure_docs"].metrics["evidence"]["memory_overflow"]
    assert ev2["findings"] == []


def test_stampede_bursts_come_from_the_query_log(tmp_path):
    records = [{"ts": 1000 + i * 0.5, "query": "How do I reset my password?", "cache_layer": "none"} for i in range(6)]
    records += [{"ts": 5000 + i * 60, "query": "How do I reset my password?", "cache_layer": "none"} for i in range(6)]
    (tmp_path / "query_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    r = run(Config(data_dir=tmp_path, use_redis=False), only=["failure_docs"]).results[0]
    st = r.metrics["evidence"]["cache_stampede"]
    assert st["bursts"] == 1 and st["examples"][0]["query"] == "How do I reset my password?"
    redacted = run(Config(data_dir=tmp_path, use_redis=False, redact=True), only=["failure_docs"]).results[0]
    assert redacted.metrics["evidence"]["cache_stampede"]["examples"][0]["query"] is None


def test_key_shapes_and_collision_odds():
    assert key_shape("resp:v3:" + "ab" * 32) == ("resp:v3", "hex64")
    assert key_shape("cache:-3074457345618258603") == ("cache", "python_hash")
    assert key_shape("plain") == ("(no prefix)", "other")


def test_key_shapes_judge_the_whole_sample_not_one_key():
    import hashlib
    import random

    # Sequential numeric ids are ids, not 6-character hex hashes.
    ids = [f"key:{123456 + i}" for i in range(50)]
    assert {shape for _, shape in key_shapes(ids)} == {"decimal"}
    # A SHA-256 prefix that happens to draw no letter is still a hex hash among its siblings.
    digests = [f"resp:{hashlib.sha256(str(i).encode()).hexdigest()[:16]}" for i in range(200)]
    digests.append("resp:1234567890123456")
    assert {shape for _, shape in key_shapes(digests)} == {"hex16"}
    # Python's hash() is signed: about half negative. Unsigned 19-digit numbers are not it.
    rng = random.Random(1)
    salted = [f"sem:{rng.randint(-2**63, 2**63 - 1)}" for _ in range(40)]
    salted = [k for k in salted if len(k.split(":")[1].lstrip("-")) >= 15]
    assert {shape for _, shape in key_shapes(salted)} == {"python_hash"}
    unsigned = [f"doc:{rng.randint(10**18, 9 * 10**18)}" for _ in range(40)]
    assert {shape for _, shape in key_shapes(unsigned)} == {"decimal"}
    # Hex ids counted up from somewhere are not hashes either.
    counters = [f"job:{0xabc000 + i:06x}" for i in range(30)]
    assert {shape for _, shape in key_shapes(counters)} == {"sequential"}
    # 32-bit hashes: about 1.2% for 10,000 keys, and certain well before 1,000,000.
    assert collision_odds(10_000, 32) == pytest.approx(0.0116, abs=0.0005)
    assert collision_odds(1_000_000, 32) > 0.99


def test_a_documented_mitigation_makes_a_low_hit_rate_ready(redis_server, scenario):
    folder = scenario("healthy")
    (folder / "cache_metrics.json").unlink()
    drive(redis_server, hits=50, misses=150)
    report = run(Config(data_dir=folder, redis_url=redis_server.url))
    hit = report.results[0]
    assert hit.status is Status.WARN and "mitigation" not in hit.metrics
    assert not report.ready and "Low hit rate mitigation" in hit.hint
    with open(folder / "FAILURES.md", "a", encoding="utf-8") as fh:
        fh.write("\n## Low hit rate mitigation\n\nOur traffic is mostly one-off troubleshooting questions, so the "
                 "cache answers a quarter of requests. We accept that and lean on prompt compression and routing "
                 "cheap questions to a smaller model in M2.2; we revisit the semantic threshold monthly.\n")
    report = run(Config(data_dir=folder, redis_url=redis_server.url))
    hit = report.results[0]
    assert hit.status is Status.WARN and hit.metrics["mitigation"].startswith("FAILURES.md, line")
    assert report.ready and "mitigation" in report.readiness_summary


def test_template_mitigation_does_not_count(redis_server, tmp_path):
    shutil.copy(SCENARIOS / "healthy" / "FAILURES.md", tmp_path / "FAILURES.md")
    with open(tmp_path / "FAILURES.md", "a", encoding="utf-8") as fh:
        fh.write("\n## Hit rate mitigation\n\n[Describe your mitigation strategy here] TODO\n")
    drive(redis_server, hits=50, misses=150)
    hit = run(Config(data_dir=tmp_path, redis_url=redis_server.url), only=["hit_rate"]).results[0]
    assert "mitigation" not in hit.metrics
