"""A newcomer's run-through: a fresh clone, the README's commands, the site served on the sample,
then the learner's data folder and Redis switched in, and the numbers following new traffic."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, clean_env, drive, fetch, free_port, hit_rate_on, stop, wait_for

pytestmark = pytest.mark.site


def readme_command(readme: str, label: str) -> str:
    match = re.search(rf"\*\*{label}:?\*\*.*?```bash\n(.*?)\n```", readme, re.S)
    assert match, f"README has no '{label}' command"
    return match.group(1).strip()


def serve(clone, args: list[str], port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "scripts/dev.py", *args, "-a", f"127.0.0.1:{port}"], cwd=clone,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_fresh_clone_to_live_numbers(tmp_path, redis_server, scenario):
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip("not a git checkout with a commit to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    readme = (clone / "README.md").read_text(encoding="utf-8")
    assert readme_command(readme, "Run the site") == "python scripts/dev.py serve"
    assert readme_command(readme, "Run the tests") == "python scripts/dev.py test"
    assert "scripts/dev.py test" in (clone / ".ci" / "run").read_text(encoding="utf-8")

    env = clean_env()
    env.update({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # a newcomer with no Redis running
                "BRIDGE_POLL_SECONDS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    port = free_port()
    proc = serve(clone, ["serve"], port, env)  # the README's first command: sets up .venv, then serves
    try:
        page = wait_for(lambda: fetch(f"http://127.0.0.1:{port}/checks/hit-rate/"), 600)
        assert page is not None, "the site was never served"
        assert 'data-sample="true"' in page and "sample data" in page
    finally:
        stop(proc)
    assert (clone / ".venv").is_dir()

    folder = scenario("healthy")
    drive(redis_server, hits=70, misses=30)
    port = free_port()
    temp = tmp_path / "temp"  # the server's temporary folder: MkDocs' site and the polling trigger go here
    temp.mkdir()
    env["TMPDIR"] = str(temp)
    proc = serve(clone, ["serve", "--data", str(folder), "--redis", redis_server.url], port, env)
    try:
        url = f"http://127.0.0.1:{port}/checks/hit-rate/"
        first = wait_for(lambda: hit_rate_on(fetch(url)), 120)
        assert first == "hit rate 70.0% (70 hits of 100 lookups)"
        assert 'data-sample="false"' in fetch(url)
        drive(redis_server, hits=30, misses=0)
        second = wait_for(lambda: (lambda r: r if r and r != first else None)(hit_rate_on(fetch(url))), 60)
        assert second == "hit rate 76.9% (100 hits of 130 lookups)"
    finally:
        stop(proc, sig=signal.SIGTERM)
    # SIGTERM to scripts/dev.py reaches the mkdocs server it started, which stops cleanly: nothing serves
    # any more, and nothing is left in the temporary folder.
    assert wait_for(lambda: fetch(url) is None, 15), "the mkdocs child kept serving after dev.py was stopped"
    assert wait_for(lambda: not any(temp.iterdir()), 15), f"left behind: {sorted(p.name for p in temp.iterdir())}"
