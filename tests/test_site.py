"""The site, built with `mkdocs build --strict` as a test and read as HTML."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, CHECK_PAGES, Results, SilentServer, build_site, drive, parse, seed, tree_digest

pytestmark = pytest.mark.site


def built(tmp_path, env) -> Path:
    site = tmp_path / "site"
    out = build_site(site, env)
    assert out.returncode == 0, out.stdout + out.stderr
    return site


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory) -> Path:
    return built(tmp_path_factory.mktemp("sample"), {"BRIDGE_SAMPLE": "1"})


def test_every_result_on_the_sample_site_is_labelled_sample(sample_site):
    seen = 0
    for page in CHECK_PAGES + [""]:
        parser, html = parse(sample_site, page)
        assert "These numbers may be old" not in html  # only a Zensical build without a build id says that
        for result in parser.results:
            seen += 1
            assert result["data-sample"] == "true"
        if parser.results:
            assert html.count('class="bridge-sample">sample data') >= len(parser.results)
    assert seen == 4
    index, html = parse(sample_site, "")
    assert index.readiness[0]["data-ready"] == "false"
    assert "Not ready for M2.2 yet" in html and "sample data" in html


def test_results_are_admonitions_coloured_by_status(sample_site):
    parser, html = parse(sample_site, "checks/hit-rate")
    (result,) = parser.results
    assert result["data-status"] == "pass" and "success" in result["class"].split()
    assert "bar ≥ 30%" in html and "request hit rate 39.8% (1,950 of 4,900 requests, from the log)" in html


def test_every_section_of_the_notebook_is_on_the_site(sample_site):
    text = " ".join((sample_site / p / "index.html").read_text(encoding="utf-8")
                    for p in ["", "context", "recap", "m2-2", *CHECK_PAGES])
    text = re.sub(r"<[^>]+>", " ", text)
    for fact in ["5–10 minutes", "$0.0021", "30–50%", "50–70%", "$12.60", "$378", "10,000", "6,000",
                 "M2.1 Augmented [14:30]", "Passive", "GPT-3.5", "GPT-4", "7 optimisation templates",
                 "140 tokens", "350", "less than 5% quality degradation", "30–40% token reduction",
                 "tiktoken", "complexity scoring", "40 minutes of video and 60–90 minutes hands-on",
                 "Cache stampede on cold start", "Stale data after updates", "Redis memory overflow (OOM)",
                 "Hash collisions", "Connection timeouts", "above 90% diversity", "TTL, event-based and LRU",
                 "four hours or more", "Prompt compression", "Semantic cache tuning",
                 "M2 (Cost Optimization)", "interview"]:
        assert fact.lower() in text.lower(), fact


def test_site_works_offline(sample_site):
    for html_file in sample_site.rglob("*.html"):
        parser = Results()
        parser.feed(html_file.read_text(encoding="utf-8"))
        assert parser.external == [], (html_file, parser.external)
    assert "fonts.googleapis" not in "".join(p.read_text(encoding="utf-8", errors="replace")
                                             for p in sample_site.rglob("*.html"))


def test_search_index_knows_the_failures(sample_site):
    index = (sample_site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "stampede" in index.lower()


def test_notebook_template_folder_yields_no_pass(scenario, tmp_path):
    folder = scenario("notebook_template")
    before = tree_digest(folder)
    site = built(tmp_path, {"BRIDGE_DATA": str(folder), "SKIP_REDIS": "true"})
    statuses = []
    for page in CHECK_PAGES:
        parser, _ = parse(site, page)
        statuses += [r["data-status"] for r in parser.results]
        assert all(r["data-sample"] == "false" for r in parser.results)
    assert len(statuses) == 4 and "pass" not in statuses
    index, _ = parse(site, "")
    assert index.readiness[0]["data-ready"] == "false"
    assert tree_digest(folder) == before  # the build wrote nothing into the learner's folder


def test_live_redis_seventy_thirty_shows_seventy_percent(redis_server, scenario, tmp_path):
    drive(redis_server, hits=70, misses=30)
    folder = scenario("healthy")
    before = tree_digest(folder)
    site = built(tmp_path, {"BRIDGE_DATA": str(folder), "REDIS_URL": redis_server.url})
    parser, html = parse(site, "checks/hit-rate")
    assert parser.results[0]["data-status"] == "pass"
    assert "hit rate 70.0% (70 hits of 100 lookups)" in html
    assert f"live Redis at redis://127.0.0.1:{redis_server.port}/0" in html
    index, _ = parse(site, "")
    assert index.readiness[0]["data-ready"] == "true"
    assert tree_digest(folder) == before


def test_password_is_absent_from_site_and_search_index(redis_factory, tmp_path):
    server = redis_factory("--requirepass", "pw-never-shown-42")
    drive(server, hits=70, misses=30)
    site = built(tmp_path, {"REDIS_URL": server.url})
    for path in site.rglob("*"):
        if path.is_file():
            assert b"pw-never-shown-42" not in path.read_bytes(), path
    _, html = parse(site, "checks/hit-rate")
    assert "redis://:***@127.0.0.1" in html


def test_bad_data_folder_is_shown_on_the_page_not_a_crash(tmp_path):
    site = built(tmp_path, {"BRIDGE_DATA": str(tmp_path / "does-not-exist")})
    parser, html = parse(site, "checks/hit-rate")
    assert parser.results[0]["data-status"] == "error" and "does not exist" in html


def test_a_silent_redis_is_asked_once_per_build(tmp_path):

    server = SilentServer()
    try:
        site = built(tmp_path, {"REDIS_URL": f"redis://127.0.0.1:{server.port}/0"})
    finally:
        server.close()
    # The readiness summary (twice) and the hit-rate page all show the hit rate; one connection served them.
    assert server.accepted == 1
    _, html = parse(site, "checks/hit-rate")
    assert "did not answer" in html


def test_failures_page_shows_findings_beside_the_learners_text(redis_server, scenario, tmp_path):

    seed(redis_server)
    folder = scenario("healthy")
    site = built(tmp_path, {"BRIDGE_DATA": str(folder), "REDIS_URL": redis_server.url})
    parser, html = parse(site, "checks/failures")
    assert parser.results[0]["data-status"] == "pass"
    for text in ["Stale data after updates: documented with a fix (FAILURES.md, line 24)",
                 "Finding, Redis memory overflow (OOM): No memory limit",
                 "Finding, Stale data after updates: 40 of 70 keys (57%) have no TTL",
                 "Finding, Hash collisions: resp:v1: 40 sampled keys end in a 8-character hex hash (32 bits)",
                 "salted per process", "Evidence, Connection timeouts: PING median"]:
        assert text in html, text


def test_checks_can_be_switched_off_for_prose_editing(tmp_path):
    site = built(tmp_path, {"BRIDGE_CHECKS": "off", "BRIDGE_DATA": str(tmp_path / "does-not-exist")})
    parser, html = parse(site, "checks/hit-rate")
    assert parser.results == [] and "Checks switched off" in html


def test_a_failing_page_block_fails_the_strict_build(tmp_path):
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    (tmp_path / "docs" / "broken.md").write_text(
        '# Broken\n\n```python exec="1"\nraise RuntimeError("a block that fails")\n```\n', encoding="utf-8")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace(
        "  - checks/mkdocs_hooks.py", f"  - '{ROOT / 'checks' / 'mkdocs_hooks.py'}'")
    config = config.replace("  - Command line: cli.md", "  - Command line: cli.md\n  - Broken: broken.md")
    (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                         cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "BRIDGE_SAMPLE": "1"})
    assert out.returncode != 0
    assert "a block that fails" in out.stderr + out.stdout


def text_of(site: Path, page: str) -> str:
    html = (site / page / "index.html").read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def test_every_page_carries_the_footer_stamp(sample_site):
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    for page in ["", "m2-2", "recap"]:
        html = (sample_site / page / "index.html").read_text(encoding="utf-8")
        assert re.search(rf"Course version 2026\.11 · checks {re.escape(version)} · built \d{{4}}-\d\d-\d\d", html), page


def test_the_m22_page_shows_the_forecast_with_current_models_and_dated_prices(sample_site):
    html = (sample_site / "m2-2" / "index.html").read_text(encoding="utf-8")
    assert 'class="admonition info bridge-forecast" data-status="forecast" data-sample="true"' in html
    assert "bridge-chart-waterfall" in html and "Sample data" in html
    text = text_of(sample_site, "m2-2")
    assert re.search(r"Routing simple calls to gpt-[\w.-]+", text)
    assert "shut both down in its API on 2026-10-23" in text and "gpt-4.1-mini" in text
    assert re.search(r"genai-prices \d+\.\d+\.\d+, whose newest price change took effect \d{4}-\d\d-\d\d", text)
    assert "tiktoken counts tokens exactly for OpenAI models only" in text
    assert "prompt caching" in text and "1,024 tokens" in text
    assert "Quality risk" in text and "5%" in text


def test_the_recap_writes_the_compound_range_honestly_and_shows_the_similarity_rule(sample_site):
    text = text_of(sample_site, "recap")
    assert "rounds to 50–70%" not in text and "58–70%" in text
    assert "40% + 0.6 × 30% = 58%" in text and "Why a hit rate is not a saving" in text
    assert re.search(r"more than 30% similar \(the rule of thumb\) [\d.]+%", text)
    assert re.search(r"clears a threshold of 0\.87 \(the default for this similarity\) [\d.]+%", text)


def test_the_failures_page_teaches_what_m22_will_touch(sample_site):
    text = text_of(sample_site, "checks/failures")
    for needle in ("XFetch", "TTL jitter", "only with its own token", "allkeys-lfu", "allkeys-lru",
                   "Semantic false positives", "INC725976", "wrong order", "10 times", "ExponentialBackoff"):
        assert needle in text, needle
