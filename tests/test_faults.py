"""Faults tried for real: a restart, an ACL user without INFO or SCAN, a cluster with a primary
down, TLS asked of a plain server. Each gives a clear result and the other checks still run."""

from __future__ import annotations

import json


from checks import Config, Status, run
from conftest import by_id, drive, make_cluster


def results_at(folder, url):
    return by_id(run(Config(data_dir=folder, redis_url=url)))


def test_a_restart_between_refreshes_is_named_and_never_negative(redis_server, tmp_path):
    drive(redis_server, hits=80, misses=20)
    first = results_at(tmp_path, redis_server.url)["hit_rate"]
    assert first.metrics["hits"] == 80
    redis_server.restart()
    drive(redis_server, hits=10, misses=90)
    second = results_at(tmp_path, redis_server.url)["hit_rate"]
    assert (second.metrics["hits"], second.metrics["misses"]) == (10, 90)
    assert second.metrics["restarted"] is True
    assert any("Redis restarted since the last refresh" in d for d in second.details)
    assert 0 <= second.metrics["hit_rate"] <= 1


def acl_user(server, name: str, rules: list[str]) -> str:
    with server.client() as c:
        c.execute_command("ACL", "SETUSER", name, "on", ">pw-" + name, "~*", "+@all", *rules)
    return f"redis://{name}:pw-{name}@127.0.0.1:{server.port}/0"


def test_a_user_without_info_gets_an_error_and_the_rest_still_runs(redis_server, scenario):
    folder = scenario("healthy")
    url = acl_user(redis_server, "noinfo", ["-info"])
    results = results_at(folder, url)
    hit = results["hit_rate"]
    assert hit.status is Status.ERROR and "may not run INFO" in hit.summary and "+info" in hit.hint
    assert results["cost_savings"].status is Status.PASS and results["failure_docs"].status is Status.PASS
    assert "pw-noinfo" not in json.dumps([r.to_dict() for r in results.values()])


def test_a_user_without_scan_still_gets_the_hit_rate_and_other_evidence(redis_server, scenario):
    folder = scenario("healthy")
    drive(redis_server, hits=70, misses=30)
    url = acl_user(redis_server, "noscan", ["-scan", "-config"])
    results = results_at(folder, url)
    assert results["hit_rate"].metrics["hits"] == 70
    evidence = results["failure_docs"].metrics["evidence"]
    assert any("SCAN not allowed" in n for n in evidence["notes"])
    assert any("CONFIG GET timeout not allowed" in n for n in evidence["notes"])
    assert evidence["memory_overflow"]["maxmemory"] == 0  # INFO still answers


def test_cluster_with_a_primary_down(redis_factory, tmp_path):
    nodes = make_cluster(redis_factory)
    nodes[2].stop()
    r = results_at(tmp_path, nodes[0].url)["hit_rate"]
    assert any(f"127.0.0.1:{nodes[2].port}" in d and "not counted" in d for d in r.details)
    assert "cluster, 2 primaries" in r.source.detail
    assert r.status is not Status.PASS


def test_tls_asked_of_a_plain_server(redis_server, tmp_path):
    (tmp_path / "cache_metrics.json").write_text(json.dumps({"cache_hit_rate": 0.5, "hits": 500, "misses": 500}))
    r = results_at(tmp_path, f"rediss://127.0.0.1:{redis_server.port}/0")["hit_rate"]
    assert r.summary.startswith(f"Redis at rediss://127.0.0.1:{redis_server.port}/0") and r.status is Status.WARN
    assert "Reported, not measured" in r.summary
    assert any(f"rediss://127.0.0.1:{redis_server.port}/0" in d for d in r.details)
