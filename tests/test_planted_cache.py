"""Another local user cannot run code in your build through a cache folder they made first.

Both caches load code in effect: Jinja's compiled templates (whose header is a pickle) and the
analytics pickles. A folder that is not this user's alone (another owner, or writable by others)
is never read. Each test plants a payload that writes a marker file when unpickled, first in a
folder of our own (the control: it is loaded, so the test can fail), then in a folder another user
owns or anyone may write: the marker must not appear.
"""

from __future__ import annotations

import os
import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, build_site, clean_env

pytestmark = pytest.mark.slow
NOBODY = 65534


class Plant:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('planted code ran')",))


def hand_over(folder: Path, how: str) -> None:
    """Make ``folder`` (and what is inside) another user's, or writable by anyone."""
    if how == "another user":
        if os.geteuid() != 0:
            pytest.skip("acting as another user needs root (CI runs as root)")
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
    else:
        folder.chmod(0o777)


def build(site: Path, cache_dir: Path) -> None:
    out = build_site(site, {"BRIDGE_CACHE_DIR": str(cache_dir), "BRIDGE_CHECKS": "off"})
    assert out.returncode == 0, out.stderr


@pytest.mark.site
@pytest.mark.parametrize("how", ["another user", "writable by others"])
def test_planted_compiled_templates_are_never_loaded(tmp_path, how):
    from jinja2.bccache import bc_magic

    own = tmp_path / "own"
    own.mkdir(mode=0o700)
    build(tmp_path / "site0", own)
    names = sorted(p.name for p in (own / "jinja").glob("*.cache"))
    assert names, "the build kept no compiled templates"

    def plant(root: Path, marker: Path) -> None:
        for name in names:
            (root / "jinja" / name).write_bytes(bc_magic + pickle.dumps(Plant(marker), 2))

    control = tmp_path / "control-marker"
    plant(own, control)
    build(tmp_path / "site1", own)
    assert control.exists(), "the control payload was not loaded: this test could not fail"

    marker = tmp_path / "marker"
    planted = tmp_path / "planted"
    planted.mkdir(mode=0o700)
    (planted / "jinja").mkdir(mode=0o700)
    plant(planted, marker)
    hand_over(planted, how)
    build(tmp_path / "site2", planted)
    assert not marker.exists(), "a planted template cache ran its code"


@pytest.mark.parametrize("how", ["another user", "writable by others"])
def test_planted_analytics_pickles_are_never_loaded(tmp_path, how):
    # A log of the learner's own: the shipped sample's analysis ships with the package, so a sample run
    # keeps nothing in the cache.
    data = tmp_path / "data"
    data.mkdir()
    (data / "query_log.jsonl").write_text("".join(
        json.dumps({"ts": 1_800_000_000 + i, "query": f"question {i % 9}", "cache_layer": "none"}) + "\n"
        for i in range(40)), encoding="utf-8")

    def cli(cache_dir: Path) -> subprocess.CompletedProcess:
        env = clean_env()
        env["BRIDGE_CACHE_DIR"] = str(cache_dir)
        return subprocess.run([sys.executable, "-m", "checks", "--data", str(data), "--no-redis", "--json"],
                              capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)

    own = tmp_path / "own"
    own.mkdir(mode=0o700)
    assert cli(own).returncode in (0, 1)
    pickles = sorted((own / "analytics").glob("*.pickle"))
    assert pickles, "the run kept no analysis"

    control = tmp_path / "control-marker"
    for path in pickles:
        path.write_bytes(pickle.dumps(Plant(control)))
    cli(own)
    assert control.exists(), "the control payload was not loaded: this test could not fail"

    marker = tmp_path / "marker"
    planted = tmp_path / "planted"
    shutil.copytree(own, planted)
    for path in (planted / "analytics").glob("*.pickle"):
        path.write_bytes(pickle.dumps(Plant(marker)))
    hand_over(planted, how)
    out = cli(planted)
    assert out.returncode in (0, 1), out.stderr
    assert not marker.exists(), "a planted analytics pickle ran its code"
    assert "is not yours alone" in out.stderr  # the learner is told why the cache is off
