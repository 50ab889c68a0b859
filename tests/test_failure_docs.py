"""Failure documentation: sections, synonyms, placeholders, and every candidate file."""

from __future__ import annotations

from pathlib import Path

from checks import Config, Status, run
from checks.failure_docs import assess, judge_section

TEMPLATE = (Path(__file__).parent / "scenarios" / "notebook_template" / "failures_documentation.md").read_text()


def docs(folder: Path):
    return next(r for r in run(Config(data_dir=folder, use_redis=False)).results if r.id == "failure_docs")


def states(text: str) -> dict[str, str]:
    return {k: v.state for k, v in assess(text, "x.md").items()}


def test_the_notebooks_template_documents_nothing():
    assert set(states(TEMPLATE).values()) == {"placeholder"}


def test_a_bare_list_is_found_but_not_documented():
    text = "# Project\n\nWe hit: cache stampede, stale data, OOM, hash collisions, connection timeouts.\n"
    assert set(states(text).values()) == {"found"}


def test_problem_without_fix():
    text = "## Stale data after updates\n**Problem:** answers kept old prices for a day.\n**Fix:** [Your solution]\n"
    assert states(text)["stale_data"] == "not_fixed"
    text = "## Stale data after updates\n**Problem:** answers kept old prices for a day.\n"
    assert states(text)["stale_data"] == "no_fix"


def test_labelled_problem_and_fix_document_it():
    text = "## Connection timeouts\n- Problem: requests hung when Redis was slow.\n- Fix: 100 ms socket timeouts.\n"
    assert states(text)["connection_timeout"] == "documented"


def test_sub_headings_count_as_labels():
    text = ("## Redis memory overflow\n### Problem\nRedis ran out of memory under load.\n"
            "### Fix\nmaxmemory 2gb with allkeys-lru.\n")
    assert states(text)["memory_overflow"] == "documented"


def test_synonyms_count():
    text = ("## Thundering herd after deploys\n**Problem:** 200 identical misses at once.\n"
            "**Fix:** a per-key lock with SET NX.\n\n"
            "## maxmemory reached\n**Problem:** writes refused at the limit.\n**Fix:** allkeys-lru eviction policy.\n\n"
            "## Key collisions\n**Problem:** truncated MD5 keys collided.\n**Fix:** full SHA-256 keys.\n\n"
            "## Timeouts talking to Redis\n**Problem:** requests hung forever.\n**Fix:** 100 ms socket timeouts.\n\n"
            "## Staleness\n**Problem:** old answers after re-indexing.\n**Fix:** delete tagged entries on update.\n")
    assert set(states(text).values()) == {"documented"}


def test_prose_without_labels_counts_when_it_says_what_was_done():
    text = ("## Hash collisions\nTwo prompts shared a key because we truncated the hash to 8 characters; "
            "we fixed it by switching to full SHA-256 keys over the normalised prompt.\n")
    assert states(text)["hash_collision"] == "documented"
    assert judge_section("We saw some collisions once in a while.") == "no_fix"


def test_todo_is_not_a_fix():
    text = "## Cache stampede\n**Problem:** cold start floods the LLM with identical calls.\n**Fix:** TODO\n"
    assert states(text)["cache_stampede"] == "not_fixed"


def test_headings_inside_code_fences_are_not_sections():
    text = "```\n## Cache stampede\n**Problem:** a b c d\n**Fix:** e f g h\n```\n"
    assert states(text)["cache_stampede"] == "found"


def test_every_candidate_file_is_read_and_the_best_state_wins(tmp_path):
    (tmp_path / "README.md").write_text(
        "# My cache\n\n## Cache stampede on cold start\n**Problem:** identical misses flood the LLM.\n"
        "**Fix:** per-key lock and warm-up of the top queries.\n", encoding="utf-8")
    (tmp_path / "failures_documentation.md").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "FAILURES.md").write_text(
        "## Connection timeouts\n**Problem:** requests hung on a slow Redis.\n**Fix:** 100 ms timeouts and a breaker.\n",
        encoding="utf-8")
    r = docs(tmp_path)
    assert r.status is Status.FAIL
    assert r.metrics["documented"] == 2
    assert r.metrics["failures"]["cache_stampede"] == "documented"
    assert r.metrics["failures"]["connection_timeout"] == "documented"
    assert r.metrics["failures"]["stale_data"] == "placeholder"
    assert sorted(r.metrics["files"]) == ["FAILURES.md", "README.md", "failures_documentation.md"]
    assert "Stale data after updates (only template text)" in r.hint


def test_lowercase_file_names_are_found(tmp_path):
    (tmp_path / "readme.md").write_text("cache stampede\n", encoding="utf-8")
    r = docs(tmp_path)
    assert r.metrics["files"] == ["readme.md"]
    assert r.metrics["failures"]["cache_stampede"] == "found"


# The judge's precision and recall on the labelled corpus, as the failures page states them.
CORPUS_PRECISION, CORPUS_RECALL = 0.96, 0.96


def test_the_judge_on_the_labelled_corpus(capsys):
    from failure_corpus import CASES

    tp = fp = fn = 0
    wrong = []
    for name, fid, text, documented in CASES:
        finding = assess(text, "doc.md")[fid]
        got = finding.state == "documented"
        tp += got and documented
        fp += got and not documented
        fn += documented and not got
        if got != documented:
            wrong.append(f"{name}: {finding.state} ({finding.where})")
        if got:
            assert finding.where.startswith("doc.md, line "), name  # every verdict names its line
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    with capsys.disabled():
        print(f"\nfailures judge on {len(CASES)} labelled cases ({sum(c[3] for c in CASES)} documented): "
              f"precision {precision:.2f}, recall {recall:.2f}; wrong: {'; '.join(wrong) or 'none'}")
    assert len(CASES) >= 40 and sum(c[3] for c in CASES) >= 20 and sum(not c[3] for c in CASES) >= 20
    assert round(precision, 2) == CORPUS_PRECISION and round(recall, 2) == CORPUS_RECALL
    page = (Path(__file__).resolve().parent.parent / "docs" / "checks" / "failures.md").read_text("utf-8")
    assert f"precision **{CORPUS_PRECISION:.2f}** and recall **{CORPUS_RECALL:.2f}**" in page
    assert f"{len(CASES)} labelled" in page


def test_setext_headings_and_tables_are_read():
    text = ("Cache stampede\n==============\nProblem: cold starts flood the LLM.\n\nFix: per-key lock.\n\n"
            "| Failure | Problem | Fix |\n|---|---|---|\n| Connection timeouts | hangs | 100 ms timeouts, then fall back |\n")
    got = assess(text, "d.md")
    assert got["cache_stampede"].state == "documented" and got["cache_stampede"].where == "d.md, line 5"
    assert got["connection_timeout"].state == "documented" and got["connection_timeout"].where == "d.md, line 9"
