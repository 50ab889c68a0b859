"""Every promise under hostile input: bad files, bad numbers, bad Redis servers, another local user.

Each case runs the command line in a child process with a hard timeout (``hostile.bounded_cli``):
a hang fails in seconds instead of stalling the suite, and the child's peak memory is read and held
under 500 MiB. Timings are printed, never asserted beyond that timeout (benchmarks/hostile.py
prints the figures against their targets).
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from conftest import ROOT, SCENARIOS, drive
from hostile import PEAK_MIB, DelayingProxy, Dribbler, bounded_cli, write

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, devices and rusage are POSIX")]

@pytest.fixture
def healthy(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(SCENARIOS / "healthy", folder)
    return folder


def own_log(folder, requests: int = 600) -> None:
    """A query log of the learner's own: the sample's shape, other times and queries."""
    log = (ROOT / "stubs" / "query_log.jsonl").read_text(encoding="utf-8").splitlines()
    mine = [json.loads(line) for line in log[:requests]]
    for i, rec in enumerate(mine):
        rec["ts"] = 1.8e9 + i * 60
        rec["query"] = rec["query"] + f" (my traffic {i % 40})"
    write(folder, "query_log.jsonl", "".join(json.dumps(r) + "\n" for r in mine))


def crashed(results: dict) -> list[str]:
    return [cid for cid, r in results.items() if "checker itself failed" in r["summary"]]


# ---------------------------------------------------------------------------------------------
# Non-regular files: FIFOs, devices, a sparse 2 GB log


DATA_FILES = ["cache_metrics.json", "cost_analytics.json", "query_diversity.json", "failures_documentation.md",
              "query_log.jsonl", "prices.json"]


@pytest.mark.parametrize("name", DATA_FILES)
def test_a_fifo_under_any_data_file_name_is_refused_not_waited_on(healthy, name):
    if name == "prices.json":
        own_log(healthy)  # prices are read for a log only
    target = healthy / name
    if target.exists():
        target.unlink()
    os.mkfifo(target)
    out = bounded_cli("--no-redis", "--json", "--data", str(healthy))
    assert out.code in (1, 2) and out.peak_mib < PEAK_MIB
    results = out.results()
    assert not crashed(results)
    named = [r for r in results.values() if f"{name} is a named pipe (FIFO), not a regular file" in r["summary"]]
    assert named, [r["summary"] for r in results.values()]
    assert all(r["status"] == "error" for r in named)


@pytest.mark.parametrize("name,device", [("query_log.jsonl", "/dev/zero"), ("FAILURES.md", "/dev/urandom"),
                                         ("cost_analytics.json", "/dev/zero")])
def test_a_link_to_a_device_is_refused(healthy, name, device):
    target = healthy / name
    if target.exists():
        target.unlink()
    target.symlink_to(device)
    out = bounded_cli("--no-redis", "--json", "--data", str(healthy))
    assert out.peak_mib < PEAK_MIB
    results = out.results()
    assert not crashed(results)
    assert any(f"{name} is a character device, not a regular file" in r["summary"] for r in results.values())


def test_a_sparse_2gb_log_is_refused_at_its_first_long_line(healthy):
    with open(healthy / "query_log.jsonl", "wb") as fh:
        fh.truncate(2 * 1024 ** 3)
    out = bounded_cli("--no-redis", "--json", "--data", str(healthy))
    assert out.peak_mib < PEAK_MIB, out.peak_mib
    results = out.results()
    assert not crashed(results)
    cost = results["cost_savings"]
    assert cost["status"] == "error" and "query_log.jsonl, line 1: a line of more than" in cost["summary"]
    assert results["failure_docs"]["status"] == "pass"  # the unrelated check still runs


def test_a_huge_summary_file_is_refused_while_reading(healthy):
    with open(healthy / "cache_metrics.json", "wb") as fh:
        fh.truncate(64 * 1024 ** 2)
    out = bounded_cli("--no-redis", "--json", "--data", str(healthy))
    assert out.peak_mib < PEAK_MIB
    hit = out.results()["hit_rate"]
    assert hit["status"] == "error" and "cache_metrics.json is 64.0 MiB, more than the 5 MiB" in hit["summary"]


# ---------------------------------------------------------------------------------------------
# Adversarial Markdown: linear time however the document is shaped


ADVERSARIAL_DOCS = {
    "heading of spaces": "# x" + " " * 3000 + "y\n",
    "200k one-line headings": "".join(f"{'#' * (1 + i % 6)} h{i}\n" for i in range(200_000)),
    "fix labels of spaces": ("## Cache stampede\n" + ("Fix" + " " * 5000 + "y\n") * 200),
    "unclosed placeholders": "## Stale data\n" + "[describe " * 400_000,
    "spaces then x": ("## OOM\n" + " " * 1_000_000 + "x\n") * 4,
}


@pytest.mark.parametrize("shape", list(ADVERSARIAL_DOCS))
def test_an_adversarial_failures_document_parses_in_bounded_time(healthy, shape):
    text = ADVERSARIAL_DOCS[shape]
    assert len(text.encode()) <= 5 * 1024 * 1024
    write(healthy, "README.md", text)
    out = bounded_cli("--no-redis", "--json", "--only", "failure_docs", "--data", str(healthy))
    assert out.peak_mib < PEAK_MIB
    failures = out.results()["failure_docs"]
    assert failures["status"] == "pass", failures["summary"]  # FAILURES.md still documents all five


def test_sections_are_linear():
    from checks.markdown import heading, sections

    doc = "# top\n" + "".join(f"## h{i}\n" for i in range(200_000))
    secs = sections(doc)
    assert len(secs) == 200_001 and secs[0].body.count("\n") == 199_999 and secs[-1].body == ""
    assert heading("## Title ##") == (2, "Title") and heading("# x" + " " * 3000 + "y") == (1, "x" + " " * 3000 + "y")
    assert heading("#hashtag") is None and heading("    # code") is None


# ---------------------------------------------------------------------------------------------
# Non-finite and absurd numbers


def test_a_folder_of_nans_is_never_ready(healthy):
    write(healthy, "cache_metrics.json", '{"cache_hit_rate": NaN, "hits": 10, "misses": 10}')
    write(healthy, "cost_analytics.json", '{"baseline_cost_per_day": Infinity, "current_cost_per_day": 1, '
                                          '"cost_savings_vs_baseline": NaN}')
    write(healthy, "query_diversity.json", '{"diversity_score": -Infinity, "total_queries": 500}')
    fixes = "".join(f"## {t}\n\nFix: blah blah blah\n\n" for t in
                    ("Cache stampede", "Stale data", "OOM", "Hash collisions", "Connection timeouts"))
    write(healthy, "FAILURES.md", fixes)
    out = bounded_cli("--no-redis", "--json", "--strict", "--data", str(healthy))
    report = out.report()  # strict JSON
    assert out.code == 2 and report["readiness"]["ready"] is False
    results = out.results()
    assert "cache_metrics.json: field cache_hit_rate: NaN is not a number" in results["hit_rate"]["summary"]
    assert "cost_analytics.json: field baseline_cost_per_day: Infinity is not a number" in \
        results["cost_savings"]["summary"]
    assert "query_diversity.json: field diversity_score: -Infinity" in results["query_diversity"]["summary"]
    text = bounded_cli("--no-redis", "--strict", "--data", str(healthy))
    assert "Ready for M2.2" not in text.stdout.replace("Not ready for M2.2", "") and text.code == 2


@pytest.mark.parametrize("summary", ['{"cache_hit_rate": 0.5, "hits": 1e999, "misses": 1}',
                                     '{"cache_hit_rate": 0.5, "hits": ' + "9" * 500 + ', "misses": 1}',
                                     '{"cache_hit_rate": 0.5, "hits": ' + "9" * 5000 + ', "misses": 1}',
                                     "[" * 100_000 + "]" * 100_000])
def test_absurd_numbers_and_depth_in_a_summary_are_input_errors(healthy, summary):
    write(healthy, "cache_metrics.json", summary)
    out = bounded_cli("--no-redis", "--json", "--data", str(healthy))
    hit = out.results()["hit_rate"]
    assert hit["status"] == "error" and "cache_metrics.json" in hit["summary"]
    assert "checker itself failed" not in hit["summary"]


def test_a_wide_csv_field_in_a_summary_is_an_input_error(healthy):
    (healthy / "query_diversity.json").unlink()
    write(healthy, "query_diversity.csv", "query\n\"" + "x" * 140_000 + "\"\nhello\n")
    out = bounded_cli("--no-redis", "--json", "--data", str(healthy))
    div = out.results()["query_diversity"]
    assert div["status"] == "error" and "query_diversity.csv" in div["summary"], div["summary"]


@pytest.mark.parametrize("args,env", [(["--replay-ttl", "nan"], {}), (["--replay-ttl", "inf"], {}),
                                      (["--replay-ttl", "-5"], {}), ([], {"BRIDGE_REPLAY_TTL": "nan"}),
                                      ([], {"BRIDGE_REPLAY_TTL": "Infinity"})])
def test_a_non_finite_replay_ttl_is_a_usage_error(args, env):
    out = bounded_cli("--no-redis", "--sample", *args, env=env)
    assert out.code == 2 and "finite number of seconds" in out.stderr


def test_non_finite_prices_disable_pricing_only(healthy):
    own_log(healthy)
    write(healthy, "prices.json", '{"models": {"x": {"input_usd_per_mtok": NaN}}}')
    out = bounded_cli("--no-redis", "--json", "--data", str(healthy))
    results = out.results()
    assert results["cost_savings"]["status"] == "error"
    assert "prices.json: field models/x/input_usd_per_mtok: NaN" in results["cost_savings"]["summary"]
    assert results["hit_rate"]["source"]["detail"].startswith("query log")  # measured from the log all the same
    assert results["query_diversity"]["metrics"]["method"] == "replay"
    assert not crashed(results)


# ---------------------------------------------------------------------------------------------
# One bad log line stays one bad line


BAD_LINES = {
    "ts 1e20": '{"ts": 1e20, "query": "q", "cache_layer": "none"}',
    "ts inf string": '{"ts": "inf", "query": "q", "cache_layer": "none"}',
    "ts NaN": '{"ts": NaN, "query": "q", "cache_layer": "none"}',
    "ts past 9999": '{"ts": "9999-12-31T23:59:59-14:00", "query": "q", "cache_layer": "none"}',
    "500-digit tokens": '{"ts": 1800000000, "query": "q", "cache_layer": "none", "model": "gpt-4o-mini", '
                        '"input_tokens": ' + "9" * 500 + "}",
    "5000-digit tokens": '{"ts": 1800000000, "query": "q", "cache_layer": "none", "input_tokens": ' + "9" * 5000 + "}",
    "200k-deep nesting": "[" * 200_000 + "]" * 200_000,
    "other vector length": '{"ts": 1800000000, "query": "q", "cache_layer": "none", "embedding": [0.1, 0.2, 0.3]}',
    "infinite vector": '{"ts": 1800000000, "query": "q", "cache_layer": "none", "embedding": [1e999, 0, 0, 0]}',
    "cost 1e300": '{"ts": 1800000000, "query": "q", "cache_layer": "none", "cost_usd": 1e300}',
    "not UTF-8": b'{"ts": 1800000000, "query": "caf\xe9", "cache_layer": "none"}',
}


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_one_bad_line_is_skipped_and_named(healthy, case):
    good = [json.dumps({"ts": 1.8e9 + i, "query": f"question {i % 50}", "cache_layer": "none" if i % 3 else "response",
                        "cost_usd": 0.001, "embedding": [1.0, float(i % 7), 0.5, float(i % 3)]})
            for i in range(300)]
    bad = BAD_LINES[case]
    bad = bad if isinstance(bad, bytes) else bad.encode("utf-8")
    raw = "\n".join(good[:150]).encode() + b"\n" + bad + b"\n" + "\n".join(good[150:]).encode() + b"\n"
    write(healthy, "query_log.jsonl", raw)
    out = bounded_cli("--no-redis", "--json", "-v", "--data", str(healthy))
    assert out.peak_mib < PEAK_MIB
    results = out.results()
    assert not crashed(results), {k: r["summary"] for k, r in results.items()}
    assert results["failure_docs"]["status"] == "pass"
    div = results["query_diversity"]
    assert div["status"] == "warn" and "1 of 301 log lines were skipped" in div["summary"]
    assert any("query_log.jsonl, line 151" in d for d in div["details"]), div["details"]


# ---------------------------------------------------------------------------------------------
# Readiness: every check, on the learner's own data


def test_only_one_check_is_never_ready(healthy):
    out = bounded_cli("--no-redis", "--json", "--only", "failure_docs", "--data", str(healthy))
    report = out.report()
    assert report["results"][0]["status"] == "pass" and report["readiness"]["ready"] is False
    assert "only 1 of the 4 checks ran" in report["readiness"]["summary"]
    assert "Ready for M2.2" not in bounded_cli("--no-redis", "--only", "failure_docs", "--data",
                                               str(healthy)).stdout.replace("Not ready for M2.2", "")


def test_a_copy_of_the_sample_folder_is_sample_data(tmp_path):
    copy = tmp_path / "my-project"
    shutil.copytree(ROOT / "stubs", copy)
    out = bounded_cli("--no-redis", "--json", "--strict", "--data", str(copy))
    report = out.report()
    assert report["readiness"]["ready"] is False and out.code == 1
    assert all(r["sample"] and r["source"]["kind"] == "sample" for r in report["results"]), \
        [(r["id"], r["source"]) for r in report["results"]]
    assert "4 results from shipped sample data" in report["readiness"]["summary"]


# ---------------------------------------------------------------------------------------------
# Terminal control sequences


def test_control_characters_from_the_data_never_reach_the_terminal(healthy, redis_factory):
    server = redis_factory()
    with server.client() as c:
        c.set(b"\x1b]0;pwned\x07evil:" + b"a" * 8, "x")
        c.set(b"\x1b[2J\nclear:" + b"b" * 8, "x")
    lines = [json.dumps({"ts": 1.8e9 + i, "query": "\x1b[2J\n[✓] forged line\x1b]0;title\x07 " + str(i % 5),
                         "cache_layer": "none", "model": "evil\x1b[31m-model\u202e", "input_tokens": 10})
             for i in range(200)]
    write(healthy, "query_log.jsonl", "\n".join(lines) + "\n")
    for args in (["-v"], []):
        out = bounded_cli("--redis", server.url, "--data", str(healthy), *args)
        for bad in ("\x1b", "\x07", "\u202e"):
            assert bad not in out.stdout and bad not in out.stderr
        assert not any(line.startswith("[✓] forged") or line.startswith("[+] forged")
                       for line in out.stdout.splitlines())
    assert "\\x1b" in out.stdout  # shown, escaped


# ---------------------------------------------------------------------------------------------
# Redis: slow, dribbling, least privilege, no HELLO, non-UTF-8 keys


def test_a_slow_redis_costs_one_deadline_not_thirty_round_trips(healthy, redis_factory):
    server = redis_factory()
    drive(server, hits=70, misses=30)
    proxy = DelayingProxy(server.port, delay=0.9)
    try:
        out = bounded_cli("--json", "--redis", f"redis://127.0.0.1:{proxy.port}/0", "--data", str(healthy),
                          timeout=15)
    finally:
        proxy.close()
    results = out.results()
    assert not crashed(results)
    notes = results["failure_docs"]["metrics"]["evidence"]["notes"] if results["hit_rate"]["status"] == "pass" else []
    said = " ".join([results["hit_rate"]["summary"], *results["hit_rate"]["details"], *notes])
    assert "2 s allowed for Redis" in said, said


def test_a_dribbling_peer_is_cut_off_at_the_deadline(healthy):
    peer = Dribbler(0.5)
    try:
        out = bounded_cli("--json", "--redis", f"redis://127.0.0.1:{peer.port}/0", "--data", str(healthy),
                          timeout=15)
    finally:
        peer.close()
    results = out.results()
    assert not crashed(results)
    hit = results["hit_rate"]
    assert "did not finish answering within the 2 s allowed for Redis" in " ".join([hit["summary"], *hit["details"]])
    assert results["failure_docs"]["status"] == "pass"


def test_a_user_with_only_info_and_ping_is_enough(healthy, redis_factory):
    server = redis_factory()
    drive(server, hits=140, misses=60)
    with server.client() as c:
        c.execute_command("ACL", "SETUSER", "least", "on", ">pw-least", "~*", "-@all", "+info", "+ping")
    out = bounded_cli("--json", "--redis", f"redis://least:pw-least@127.0.0.1:{server.port}/0", "--data",
                      str(healthy))
    results = out.results()
    assert results["hit_rate"]["status"] == "pass" and results["hit_rate"]["metrics"]["hits"] == 140
    notes = results["failure_docs"]["metrics"]["evidence"]["notes"]
    assert any("SCAN not allowed" in n for n in notes) and any("CONFIG GET timeout not allowed" in n for n in notes)
    assert "pw-least" not in out.stdout


def test_a_server_without_hello_is_read_over_resp2(healthy, redis_factory):
    server = redis_factory("--rename-command", "HELLO", "")
    drive(server, hits=80, misses=20)
    out = bounded_cli("--json", "--redis", server.url, "--data", str(healthy))
    hit = out.results()["hit_rate"]
    assert hit["status"] == "pass" and hit["metrics"]["hits"] == 80


def test_key_names_that_are_not_utf8_do_not_break_the_failures_check(healthy, redis_factory):
    server = redis_factory()
    with server.client() as c:
        for i in range(30):
            c.set(b"resp:\xff\xfe:" + f"{i:08x}".encode(), "x")
    out = bounded_cli("--json", "--redis", server.url, "--data", str(healthy))
    failures = out.results()["failure_docs"]
    assert failures["status"] == "pass"
    assert failures["metrics"]["evidence"]["hash_collision"]["sampled_keys"] == 30


# ---------------------------------------------------------------------------------------------
# The analytics cache: keyed on format too


def test_jsonl_bytes_named_csv_are_not_served_from_the_cache(tmp_path):
    jsonl = tmp_path / "a"
    jsonl.mkdir()
    shutil.copy(ROOT / "stubs" / "query_log.jsonl", jsonl / "query_log.jsonl")
    first = bounded_cli("--no-redis", "--json", "--data", str(jsonl)).results()
    assert first["query_diversity"]["metrics"]["method"] == "replay"
    as_csv = tmp_path / "b"
    as_csv.mkdir()
    shutil.copy(ROOT / "stubs" / "query_log.jsonl", as_csv / "query_log.csv")
    second = bounded_cli("--no-redis", "--json", "--data", str(as_csv)).results()
    assert second["cost_savings"]["status"] == "error"
    assert "query_log.csv, line 1: the CSV header has no 'ts' column" in second["cost_savings"]["summary"]
