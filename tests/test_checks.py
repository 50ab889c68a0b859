"""The four checks on good, bad, template and malformed inputs (no Redis: SKIP_REDIS)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks import Config, Status, run
from checks.config import SAMPLE_DIR
from conftest import by_id


def results(folder: Path | None, **kw):
    cfg = Config(data_dir=folder, use_redis=False, **kw)
    return by_id(run(cfg))


def test_sample_data_is_labelled_sample_everywhere_and_never_ready():
    report = run(Config(use_redis=False, sample=True))
    assert [r.sample for r in report.results] == [True] * 4
    assert all("stubs/" in r.source.detail and "shipped sample data" in r.source.detail for r in report.results)
    assert not report.ready
    assert "sample" in report.readiness_summary


def test_healthy_learner_folder_passes_and_is_ready(scenario):
    folder = scenario("healthy")
    report = run(Config(data_dir=folder, use_redis=False))
    got = by_id(report)
    assert {r.status for r in report.results} == {Status.PASS}, [r.summary for r in report.results]
    assert not any(r.sample for r in report.results)
    assert got["hit_rate"].metrics["hits"] == 28434
    assert got["hit_rate"].summary.startswith("Reported, not measured")
    assert got["failure_docs"].metrics["documented"] == 5
    assert got["query_diversity"].metrics["recommendation"] == "balanced"
    assert report.ready


def test_the_notebooks_own_output_passes_nothing(scenario):
    folder = scenario("notebook_template")
    by_id = results(folder)
    assert all(r.status is not Status.PASS for r in by_id.values()), {k: r.status for k, r in by_id.items()}
    assert by_id["hit_rate"].status is Status.ERROR and "template" in by_id["hit_rate"].summary
    assert by_id["cost_savings"].status is Status.ERROR
    assert by_id["failure_docs"].metrics["documented"] == 0
    assert set(by_id["failure_docs"].metrics["failures"].values()) == {"placeholder"}
    assert by_id["query_diversity"].status is Status.ERROR


def test_empty_folder_skips_or_fails_with_next_steps(tmp_path):
    by_id = results(tmp_path)
    assert by_id["hit_rate"].status is Status.SKIP
    assert "cache_metrics.json" in by_id["hit_rate"].summary
    assert by_id["cost_savings"].status is Status.SKIP
    assert by_id["failure_docs"].status is Status.FAIL
    assert "init" in by_id["failure_docs"].hint
    assert by_id["query_diversity"].status is Status.SKIP
    assert all(r.hint for r in by_id.values())
    assert by_id["hit_rate"].metrics == {"hit_rate": None, "request_hit_rate": None, "hits": None, "misses": None}


def write(folder: Path, name: str, content) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_malformed_json_names_file_and_line_and_other_checks_still_run(scenario):
    folder = scenario("healthy")
    write(folder, "cost_analytics.json", '{\n  "baseline_cost_per_day": 21.0,\n  "current_cost_per_day": ,\n}')
    by_id = results(folder)
    r = by_id["cost_savings"]
    assert r.status is Status.ERROR
    assert "cost_analytics.json, line 3" in r.summary
    assert by_id["hit_rate"].status is Status.PASS
    assert by_id["failure_docs"].status is Status.PASS


@pytest.mark.parametrize("content, expected", [
    ({"cache_hit_rate": "0.4"}, "cache_hit_rate: '0.4' is not of type 'number'"),
    ({"cache_hit_rate": 1.4}, "cache_hit_rate: 1.4 is greater than the maximum of 1"),
    ({"hits": 3}, "'cache_hit_rate' is a required property"),
    ([0.4], "is not of type 'object'"),
])
def test_wrong_types_name_the_field(tmp_path, content, expected):
    write(tmp_path, "cache_metrics.json", content)
    r = results(tmp_path)["hit_rate"]
    assert r.status is Status.ERROR
    assert "cache_metrics.json" in r.summary and expected in r.summary


def test_binary_huge_and_non_utf8_files_are_errors(tmp_path):
    write(tmp_path, "cache_metrics.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with open(tmp_path / "cost_analytics.json", "wb") as fh:  # sparse: 6 MiB without writing 6 MiB
        fh.truncate(6 * 1024 * 1024)
    write(tmp_path, "FAILURES.md", "# Failures\n\ncaf\xe9 stampede\n".encode("latin-1"))
    by_id = results(tmp_path)
    assert by_id["hit_rate"].status is Status.ERROR and "binary" in by_id["hit_rate"].summary
    assert by_id["cost_savings"].status is Status.ERROR and "6.0 MiB" in by_id["cost_savings"].summary
    assert by_id["failure_docs"].status is Status.ERROR
    assert "FAILURES.md, line 3" in by_id["failure_docs"].summary


def test_byte_order_mark_is_fine(tmp_path):
    write(tmp_path, "cache_metrics.json", "\ufeff" + json.dumps({"cache_hit_rate": 0.5, "hits": 500, "misses": 500}))
    assert results(tmp_path)["hit_rate"].status is Status.PASS


def test_reported_rate_must_agree_with_its_counts(tmp_path):
    write(tmp_path, "cache_metrics.json", {"cache_hit_rate": 0.6, "hits": 300, "misses": 700})
    r = results(tmp_path)["hit_rate"]
    assert r.status is Status.ERROR and "disagrees" in r.summary


def test_reported_rate_without_counts_is_not_a_verdict(tmp_path):
    write(tmp_path, "cache_metrics.json", {"cache_hit_rate": 0.55})
    r = results(tmp_path)["hit_rate"]
    assert r.status is Status.WARN and "Reported, not measured" in r.summary
    assert r.metrics["hit_rate"] == 0.55 and r.metrics["hits"] is None


def test_low_reported_rate_warns_with_the_notebooks_guidance(tmp_path):
    write(tmp_path, "cache_metrics.json", {"cache_hit_rate": 0.27, "hits": 270, "misses": 730})
    r = results(tmp_path)["hit_rate"]
    assert r.status is Status.WARN
    assert "M2.1 Augmented [14:30]" in r.hint
    assert r.value.startswith("hit rate 27.0%") and r.bar == "bar ≥ 30%"


def test_cost_numbers_are_checked_against_each_other(tmp_path):
    write(tmp_path, "cost_analytics.json",
          {"baseline_cost_per_day": 21.0, "current_cost_per_day": 12.6, "cost_savings_vs_baseline": 0.55})
    r = results(tmp_path)["cost_savings"]
    assert r.status is Status.ERROR and "40.0%" in r.summary and "55.0%" in r.summary


def test_missing_savings_field_is_computed_and_warned(tmp_path):
    write(tmp_path, "cost_analytics.json", {"baseline_cost_per_day": 20.0, "current_cost_per_day": 12.0})
    r = results(tmp_path)["cost_savings"]
    assert r.status is Status.WARN and r.metrics["savings"] == pytest.approx(0.4)
    assert "cost_savings_vs_baseline" in r.hint


@pytest.mark.parametrize("baseline, current, status", [
    (21.0, 12.6, Status.PASS), (21.0, 18.9, Status.WARN), (21.0, 4.2, Status.WARN), (21.0, 25.2, Status.FAIL)])
def test_savings_band(tmp_path, baseline, current, status):
    write(tmp_path, "cost_analytics.json", {"baseline_cost_per_day": baseline, "current_cost_per_day": current,
                                            "cost_savings_vs_baseline": round(1 - current / baseline, 4)})
    r = results(tmp_path)["cost_savings"]
    assert r.status is status
    assert r.metrics["baseline_cost_per_month"] == pytest.approx(baseline * 30)


def test_worked_example_reproduces_the_recap():
    from checks.cost_savings import worked_example

    ex = worked_example(10_000, 0.60, 0.0021)
    assert ex["misses_per_day"] == pytest.approx(6000)
    assert ex["cost_per_day"] == pytest.approx(12.60)
    assert ex["cost_per_month"] == pytest.approx(378.0)


@pytest.mark.parametrize("score, rec", [(0.71, "prompt_compression"), (0.70, "balanced"), (0.30, "balanced"),
                                        (0.29, "semantic_cache_tuning")])
def test_diversity_thresholds(tmp_path, score, rec):
    write(tmp_path, "query_diversity.json", {"diversity_score": score, "total_queries": 1000})
    r = results(tmp_path)["query_diversity"]
    assert r.status is Status.PASS and r.metrics["recommendation"] == rec


def test_diversity_from_raw_queries_is_the_replay(tmp_path):
    rows = ["How do I reset my password?", "how do I reset my  password", "What is the premium plan?"] * 40
    write(tmp_path, "query_diversity.csv", "query\n" + "\n".join(f'"{q}"' for q in rows) + "\n")
    r = results(tmp_path)["query_diversity"]
    # 120 queries, 2 distinct after normalisation, unlike each other: the replay answers 118, and the repeat
    # potential is those 118 exact repeats plus the judge's small doubt about the one pair it looked at.
    m = r.metrics
    assert m["method"] == "replay"
    assert m["similarity"] == "embedding:minilm-static"
    assert m["answered_by_threshold"]["0.87"] == pytest.approx(118 / 120)
    assert 118 / 120 <= m["repeat_potential"] < 119 / 120
    assert m["diversity_score"] == pytest.approx(1 - m["repeat_potential"])
    assert m["repeat_method"].startswith("judge:") and m["repeat_judged"] == 2
    assert m["repeat_interval"][0] <= m["repeat_potential"] <= m["repeat_interval"][1]
    assert m["recommendation"] == "semantic_cache_tuning"


def test_csv_and_log_of_the_same_queries_give_the_same_diversity(tmp_path):
    """One definition of diversity: the same queries in the same order through a CSV or a log."""
    import json

    topics = ["How do I reset my password?", "I forgot my password, how can I change it?",
              "What does the Pro plan include?", "Which features come with the Pro subscription?",
              "How do I export my data to CSV?", "Why am I getting HTTP 429 from the API?"]
    rows = [topics[(i * 7) % len(topics)] if i % 3 else f"One-off question number {i} about invoices" for i in range(150)]
    csv_dir, log_dir = tmp_path / "csv", tmp_path / "log"
    csv_dir.mkdir()
    log_dir.mkdir()
    write(csv_dir, "query_diversity.csv", "query\n" + "\n".join(f'"{q}"' for q in rows) + "\n")
    write(log_dir, "query_log.jsonl", "".join(json.dumps({"ts": 1_800_000_000 + i, "query": q}) + "\n"
                                                for i, q in enumerate(rows)))
    a = results(csv_dir)["query_diversity"].metrics
    b = results(log_dir)["query_diversity"].metrics
    assert a["diversity_score"] == pytest.approx(b["diversity_score"])
    assert a["similarity"] == b["similarity"] == "embedding:minilm-static"


def test_diversity_csv_errors_name_the_line(tmp_path):
    write(tmp_path, "query_diversity.csv", "diversity_score\n0.4\nhigh\n")
    r = results(tmp_path)["query_diversity"]
    assert r.status is Status.ERROR and "query_diversity.csv, line 3" in r.summary
    write(tmp_path, "query_diversity.csv", "text,when\nhello,1\n")
    r = results(tmp_path)["query_diversity"]
    assert r.status is Status.ERROR and "line 1" in r.summary and "'query'" in r.summary


def test_diversity_summary_must_be_consistent(tmp_path):
    write(tmp_path, "query_diversity.json", {"diversity_score": 0.5, "total_queries": 1000,
                                             "similarity_distribution": {"0-30%": 0.5, "30-70%": 0.4, "70-100%": 0.3}})
    r = results(tmp_path)["query_diversity"]
    assert r.status is Status.ERROR and "120%" in r.summary


def test_small_diversity_sample_warns(tmp_path):
    write(tmp_path, "query_diversity.json", {"diversity_score": 0.8, "total_queries": 20})
    r = results(tmp_path)["query_diversity"]
    assert r.status is Status.WARN and r.metrics["recommendation"] == "prompt_compression"


def test_a_crashing_checker_is_an_error_not_a_traceback(monkeypatch):
    from checks import Check
    from checks.runner import run_check
    from checks.context import Context

    def boom(ctx):
        raise ZeroDivisionError("division by zero")

    check = Check("hit_rate", "Cache hit rate", "bar ≥ 30%", "checks/hit-rate/", boom, ("hit_rate",))
    r = run_check(check, Context(Config(use_redis=False, sample=True)))
    assert r.status is Status.ERROR and "checker itself failed" in r.summary
    assert "bug in the checks package" in r.hint
    assert (r.id, r.title, r.metrics) == ("hit_rate", "Cache hit rate", {"hit_rate": None})  # stamped by the runner


def test_sample_dir_ships_all_four_inputs():
    names = {p.name for p in SAMPLE_DIR.iterdir()}
    assert {"cache_metrics.json", "cost_analytics.json", "failures_documentation.md",
            "query_diversity.json"} <= names
