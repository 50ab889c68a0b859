"""The hit rate from real redis-server processes: plain, clustered, refusing, silent, password-protected."""

from __future__ import annotations

import json
import time

import pytest
import redis

from checks import Config, Status, run
from checks.context import Context
from conftest import SilentServer, drive, free_port, make_cluster, run_cli


def hit_rate(url: str, data_dir=None):
    report = run(Config(data_dir=data_dir, redis_url=url), only=["hit_rate"])
    return report.results[0]


def test_known_hits_and_misses_give_the_exact_rate(redis_server):
    drive(redis_server, hits=70, misses=30)
    r = hit_rate(redis_server.url)
    assert r.status is Status.PASS
    assert (r.metrics["hits"], r.metrics["misses"]) == (70, 30)
    assert r.metrics["hit_rate"] == pytest.approx(0.70)
    assert r.source.kind.value == "redis" and f"127.0.0.1:{redis_server.port}" in r.source.detail
    assert r.metrics["uptime_s"] >= 0 and any("uptime" in d for d in r.details)


def test_reading_the_stats_does_not_change_them(redis_server):
    drive(redis_server, hits=5, misses=5)
    first = hit_rate(redis_server.url)
    second = hit_rate(redis_server.url)
    assert (first.metrics["hits"], first.metrics["misses"]) == (second.metrics["hits"], second.metrics["misses"])


def test_too_few_lookups_is_a_warning_with_an_interval(redis_server):
    drive(redis_server, hits=12, misses=0)
    r = hit_rate(redis_server.url)
    assert r.status is Status.WARN and r.metrics["hit_rate"] == 1.0
    assert "only 12 lookups" in r.summary


def test_no_lookups_and_no_log_is_a_skip(redis_server, tmp_path):
    r = hit_rate(redis_server.url, tmp_path)
    assert r.status is Status.SKIP and r.metrics["hit_rate"] is None


def test_a_fresh_redis_with_a_log_is_judged_from_the_log(redis_server, tmp_path):
    """A Redis restarted a moment ago has no counters; the query log still holds the traffic."""
    layers = ["response"] * 60 + ["semantic"] * 20 + ["none"] * 120
    (tmp_path / "query_log.jsonl").write_text("".join(
        json.dumps({"ts": 1_800_000_000 + i, "query": f"q{i}", "cache_layer": layer}) + "\n"
        for i, layer in enumerate(layers)))
    r = hit_rate(redis_server.url, tmp_path)
    assert r.status is Status.PASS and r.metrics["verdict_on"] == "log"
    assert r.metrics["request_hit_rate"] == pytest.approx(0.40) and r.metrics["hit_rate"] is None
    assert r.source.detail.startswith("query log") and "From the query log" in r.summary
    assert any("has counted no lookups" in d for d in r.details)


def test_both_rates_side_by_side_when_redis_and_a_log_exist(redis_server, tmp_path):
    drive(redis_server, hits=30, misses=70)
    layers = ["response"] * 60 + ["semantic"] * 20 + ["none"] * 120
    (tmp_path / "query_log.jsonl").write_text("".join(
        json.dumps({"ts": 1_800_000_000 + i, "query": f"q{i}", "cache_layer": layer}) + "\n"
        for i, layer in enumerate(layers)))
    r = hit_rate(redis_server.url, tmp_path)
    assert r.metrics["verdict_on"] == "redis" and r.metrics["hit_rate"] == pytest.approx(0.30)
    assert r.metrics["request_hit_rate"] == pytest.approx(0.40)
    line = next(d for d in r.details if d.startswith("Side by side"))
    assert "30.0%" in line and "40.0%" in line and "up to four" in line


def test_low_rate_warns_with_guidance(redis_server):
    drive(redis_server, hits=50, misses=150)
    r = hit_rate(redis_server.url)
    assert r.status is Status.WARN and "M2.1 Augmented [14:30]" in r.hint
    assert "25.0%" in r.value and "below the 30% bar" in r.summary


def test_refused_connection_falls_back_to_the_reported_file(tmp_path):
    port = free_port()  # nothing listens there
    (tmp_path / "cache_metrics.json").write_text(json.dumps({"cache_hit_rate": 0.5, "hits": 500, "misses": 500}))
    r = hit_rate(f"redis://127.0.0.1:{port}/0", tmp_path)
    # The Redis the learner named is said on the summary line, and a typo never looks like a pass.
    assert r.status is Status.WARN and r.summary.startswith(f"Redis at redis://127.0.0.1:{port}/0 is not reachable")
    assert "Reported, not measured" in r.summary and "REDIS_URL" in r.hint
    assert any("not reachable" in d for d in r.details)
    out = run_cli("--strict", "--only", "hit_rate", "--redis", f"redis://127.0.0.1:{port}/0", "--data", str(tmp_path))
    assert out.returncode == 1 and "not reachable" in out.stdout
    r = hit_rate(f"redis://127.0.0.1:{port}/0", tmp_path / "..")  # a folder without the file
    assert r.status is Status.SKIP and "not reachable" in r.summary


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


def test_a_silent_redis_is_asked_once_per_run(silent_server, tmp_path):
    url = f"redis://127.0.0.1:{silent_server.port}/0"
    ctx = Context(Config(data_dir=tmp_path, redis_url=url))
    for _ in range(3):  # as three page blocks would
        with pytest.raises(Exception) as info:
            ctx.redis.stats()
    assert "did not answer" in str(info.value)
    time.sleep(0.3)
    assert silent_server.accepted == 1
    r = hit_rate(url, tmp_path)
    assert r.status is Status.SKIP and "did not answer" in r.summary


def test_password_wrong_missing_and_right(redis_factory):
    server = redis_factory("--requirepass", "s3cret-pw")
    base = f"redis://127.0.0.1:{server.port}/0"
    missing = hit_rate(base)
    assert missing.status is Status.ERROR and "wants a password" in missing.summary
    wrong = hit_rate(f"redis://:wrong-pw@127.0.0.1:{server.port}/0")
    assert wrong.status is Status.ERROR and "refused the credentials" in wrong.summary
    assert "wrong-pw" not in json.dumps(wrong.to_dict())
    drive(server, hits=80, misses=20)
    right = hit_rate(server.url)
    assert right.status is Status.PASS and right.metrics["hit_rate"] == pytest.approx(0.8)
    assert "s3cret-pw" not in json.dumps(right.to_dict())
    assert ":***@" in right.source.detail


def test_password_never_reaches_the_terminal_or_json(redis_factory):
    server = redis_factory("--requirepass", "hunter2-secret")
    drive(server, hits=70, misses=30)
    for args in (["-v"], ["--json"], ["--json", "--redis", f"redis://:wrong-{server.password}@127.0.0.1:{server.port}/0"]):
        out = run_cli(*args, env={"REDIS_URL": server.url})
        assert "hunter2-secret" not in out.stdout + out.stderr, args


def test_cli_json_reports_seventy_percent(redis_server, tmp_path):
    drive(redis_server, hits=70, misses=30)
    out = run_cli("--json", "--only", "hit_rate", "--redis", redis_server.url, "--data", str(tmp_path))
    report = json.loads(out.stdout)
    r = report["results"][0]
    assert r["metrics"]["hit_rate"] == pytest.approx(0.70) and r["status"] == "pass"
    assert r["value"].startswith("hit rate 70.0%")
    assert out.returncode == 0


def test_cluster_sums_every_primary(redis_factory):
    nodes = make_cluster(redis_factory)
    cluster = redis.RedisCluster(host="127.0.0.1", port=nodes[0].port)
    try:
        for i in range(30):
            cluster.set(f"k{i}", "v")
        for i in range(30):
            cluster.get(f"k{i}")            # 30 hits spread over the primaries
            cluster.get(f"k{i}")            # 30 more
        for i in range(40):
            cluster.get(f"absent{i}")       # 40 misses
    finally:
        cluster.close()
    per_node = []
    for node in nodes:
        with node.client() as c:
            stats = c.info("stats")
            per_node.append((stats["keyspace_hits"], stats["keyspace_misses"]))
    assert sum(h for h, _ in per_node) == 60 and sum(m for _, m in per_node) == 40
    assert max(h for h, _ in per_node) < 60  # the traffic really is spread: one node alone is wrong
    r = hit_rate(nodes[1].url)
    assert (r.metrics["hits"], r.metrics["misses"]) == (60, 40)
    assert r.metrics["hit_rate"] == pytest.approx(0.6)
    assert "cluster, 3 primaries" in r.source.detail
    assert sum("primary 127.0.0.1:" in d for d in r.details) == 3
