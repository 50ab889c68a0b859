"""The same mkdocs.yml and pages build with Zensical, with live results and never stale ones."""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from pathlib import Path

import pytest

from checks import REGISTRY
from conftest import CHECK_PAGES, ROOT, clean_env, parse

pytestmark = pytest.mark.site
sys.path.insert(0, str(ROOT / "scripts"))
from dev import run_zensical  # noqa: E402


def zensical_build(tmp_path: Path, env: dict, clean: bool = True) -> Path:
    exe = shutil.which("zensical", path=str(Path(sys.executable).parent)) or shutil.which("zensical")
    if exe is None:
        pytest.skip("zensical is not installed (pip install -e '.[test]')")
    site = tmp_path / "site"
    full_env = clean_env()
    full_env.update(env)
    out = run_zensical(site, full_env, clean=clean, exe=exe, capture=True)
    assert out.returncode == 0, out.stdout + out.stderr
    return site


def test_zensical_builds_the_sample_site_with_results(tmp_path):
    site = zensical_build(tmp_path, {"BRIDGE_SAMPLE": "1", "BRIDGE_BUILD_ID": uuid.uuid4().hex})
    seen = []
    for page in CHECK_PAGES:
        parser, html = parse(site, page)
        seen += [(r["data-check"], r["data-sample"]) for r in parser.results]
        assert "sample data" in html
    assert sorted(seen) == sorted((c.id, "true") for c in REGISTRY)
    index, _ = parse(site, "")
    assert index.readiness[0]["data-ready"] == "false"


def test_zensical_never_serves_stale_numbers_from_its_cache(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    env = {"BRIDGE_DATA": str(data), "SKIP_REDIS": "true"}
    for rate, hits in ((0.55, 550), (0.35, 350)):
        (data / "cache_metrics.json").write_text(json.dumps({"cache_hit_rate": rate, "hits": hits,
                                                             "misses": 1000 - hits}))
        # Without --clean: the build id alone must keep the cached page from being reused.
        site = zensical_build(tmp_path, {**env, "BRIDGE_BUILD_ID": uuid.uuid4().hex}, clean=False)
        _, html = parse(site, "checks/hit-rate")
        assert f"hit rate {rate:.1%}" in html


def test_a_plain_zensical_build_warns_that_its_numbers_may_be_cached(tmp_path, monkeypatch):
    # A learner typing `zensical build` sets no build id: Zensical may reuse pages, so each result says so.
    monkeypatch.delenv("BRIDGE_BUILD_ID", raising=False)
    env = {"BRIDGE_SAMPLE": "1"}
    for _ in range(2):  # the first build runs the blocks; the second may come from the cache
        site = zensical_build(tmp_path, env, clean=False)
        for page in ["", *CHECK_PAGES]:
            _, html = parse(site, page)
            assert "These numbers may be old" in html, page
    fresh = zensical_build(tmp_path, {"BRIDGE_SAMPLE": "1", "BRIDGE_BUILD_ID": uuid.uuid4().hex})
    for page in ["", *CHECK_PAGES]:
        _, html = parse(fresh, page)
        assert "These numbers may be old" not in html, page
