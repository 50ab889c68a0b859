"""Setting up: the declared Python floor is checked first, a wrong .venv is made again, and the
checks run by an interpreter without their dependencies say which Python to use."""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import subprocess
import sys

from conftest import ROOT


def dev_module():
    spec = importlib.util.spec_from_file_location("dev", ROOT / "scripts" / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_floor_is_the_one_declared():
    dev = dev_module()
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'requires-python = ">={dev.MIN_PYTHON[0]}.{dev.MIN_PYTHON[1]}"' in text
    assert f"Python {dev.MIN_PYTHON[0]}.{dev.MIN_PYTHON[1]} or newer" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert dev.require_python((3, 11, 0)) is None and dev.require_python((3, 13, 1)) is None
    message = dev.require_python((3, 10, 13), "/usr/bin/python3.10")
    assert "Python 3.10.13" in message and "3.11 or newer" in message and "py -3.11" in message


def test_an_older_interpreter_stops_before_touching_the_venv():
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.10*/bin/python")))
    candidates += [p for p in [shutil.which("python3.10")] if p]
    older = next((p for p in candidates if subprocess.run([p, "-c", "import sys; assert sys.version_info[:2] == (3, 10)"],
                                                          capture_output=True).returncode == 0), None)
    cfg = ROOT / ".venv" / "pyvenv.cfg"
    before = cfg.read_bytes() if cfg.exists() else None
    if older is None:  # no 3.10 here: the same check, run by this interpreter against a pretend version
        code = "import runpy, sys; sys.version_info = (3, 10, 13, 'final', 0); runpy.run_path('scripts/dev.py', " \
               "run_name='__main__')"
        out = subprocess.run([sys.executable, "-c", code, "test"], capture_output=True, text=True, cwd=ROOT,
                             timeout=60)
    else:
        out = subprocess.run([older, "scripts/dev.py", "test"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 2 and "needs Python 3.11 or newer" in out.stderr, out.stderr
    assert (cfg.read_bytes() if cfg.exists() else None) == before


def test_a_venv_of_another_interpreter_is_made_again(tmp_path):
    dev = dev_module()
    cfg = tmp_path / "pyvenv.cfg"
    cfg.write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.10.13\n", encoding="utf-8")
    assert dev.venv_version(cfg) == (3, 10, 13)
    assert not dev.venv_is_usable((3, 10, 13), True, (3, 11))
    assert not dev.venv_is_usable((3, 11, 7), False, (3, 11))  # its python is gone: broken
    assert not dev.venv_is_usable(None, True, (3, 11))  # no readable pyvenv.cfg
    assert dev.venv_is_usable((3, 11, 7), True, (3, 11))
    assert dev.venv_version(tmp_path / "absent.cfg") is None


def test_python_without_the_dependencies_is_told_to_use_the_venv():
    # -S: no site-packages, so none of the dependencies can be imported; the package itself is found in cwd.
    out = subprocess.run([sys.executable, "-S", "-m", "checks", "--sample"], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 2
    assert "does not have the checks' dependencies" in out.stderr and ".venv" in out.stderr
    assert "bug in the checks package" not in out.stderr + out.stdout


def test_the_learners_setup_does_not_install_the_test_tools():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {d.split("==")[0].split("[")[0].lower() for d in project["dependencies"]}
    assert not names & {"pytest", "selenium", "ruff", "zensical"}
    dev = (ROOT / "scripts" / "dev.py").read_text(encoding="utf-8")
    assert 'ensure_env(("test",))' in dev and "ensure_env()\n" in dev


def test_the_publishing_workflow_builds_strictly_from_the_sample_and_deploys():
    """The instructor's route to GitHub Pages: Material's documented gh-deploy from GitHub Actions,
    on the sample data only, strict, with the project's own pinned set-up."""
    import yaml

    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))
    triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert flow["permissions"]["contents"] == "write"
    job = flow["jobs"]["deploy"]
    assert job["env"]["BRIDGE_SAMPLE"] == "1" and job["env"]["SKIP_REDIS"] == "true"
    runs = [s.get("run", "") for s in job["steps"]]
    uses = [s.get("uses", "") for s in job["steps"]]
    assert any(u.startswith("actions/checkout@v") for u in uses)
    assert any(u.startswith("actions/setup-python@v") for u in uses)
    assert "python scripts/dev.py build --sample -d site" in runs
    assert any("mkdocs gh-deploy --force --strict" in r for r in runs)
