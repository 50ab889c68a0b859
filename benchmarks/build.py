"""Benchmark: building the site against executing the original notebook, measured in one run.

    python benchmarks/build.py [--runs 3]

Needs, beside the project, nbconvert and a kernel: ``pip install -e ".[bench]"``. Prints the
median wall time of each, in fresh processes:

* notebook: ``jupyter nbconvert --execute`` of the original notebook (a copy of
  ``shared/baseline/seed_notebook.ipynb`` kept in this folder), in a scratch folder;
* full: ``mkdocs build`` of the whole site on the sample data;
* floor: the same pages with the checks switched off (markdown-exec removed from the config);
* unreachable / silent Redis: a build asking a Redis that refuses connections, and one that
  accepts and never answers, against the same build with Redis skipped.

Targets (issue 5): full <= 1/2 notebook; checks (full - floor) <= 1/5 of full; an unreachable
or silent Redis adds <= 2 s. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = Path(__file__).resolve().parent / "seed_notebook.ipynb"
BIN = Path(sys.executable).parent


def timed(cmd: list[str], env: dict, cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"BRIDGE_DATA", "REDIS_URL", "SKIP_REDIS", "BRIDGE_SAMPLE", "BRIDGE_POLL_SECONDS"}}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.update(extra)
    return env


def floor_config(target: Path) -> Path:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = text.replace("  - markdown-exec\n", "")
    text = text.replace("docs_dir: docs", f"docs_dir: '{ROOT / 'docs'}'")
    text = text.replace("  - checks/mkdocs_hooks.py", f"  - '{ROOT / 'checks' / 'mkdocs_hooks.py'}'")
    target.write_text(text, encoding="utf-8")
    return target


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    jupyter = shutil.which("jupyter", path=str(BIN)) or shutil.which("jupyter")
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "-q"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows: list[tuple[str, float]] = []
        if jupyter:
            scratch = tmp / "nb"
            scratch.mkdir()
            shutil.copy(NOTEBOOK, scratch / NOTEBOOK.name)
            # The notebook writes stub files into its folder; each run starts from the same empty one.
            cmd = [jupyter, "nbconvert", "--to", "notebook", "--execute", NOTEBOOK.name, "--output",
                   str(tmp / "out.ipynb")]
            nb_times = []
            for _ in range(args.runs):
                for f in scratch.iterdir():
                    if f.name != NOTEBOOK.name:
                        f.unlink()
                nb_times.append(timed(cmd, clean_env(), scratch, 1))
            rows.append(("notebook (nbconvert --execute)", statistics.median(nb_times)))
        else:
            print("jupyter not found: pip install -e '.[bench]' to time the notebook")
        full = timed(mkdocs + ["-d", str(tmp / "s1")], clean_env(BRIDGE_SAMPLE="1"), ROOT, args.runs)
        floor = timed(mkdocs + ["-f", str(floor_config(tmp / "floor.yml")), "-d", str(tmp / "s2")],
                      clean_env(), ROOT, args.runs)
        rows += [("full build, sample data", full), ("floor: same pages, checks off", floor)]
        skipped = timed(mkdocs + ["-d", str(tmp / "s3")], clean_env(SKIP_REDIS="true"), ROOT, args.runs)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            refused_port = s.getsockname()[1]
        refused = timed(mkdocs + ["-d", str(tmp / "s4")], clean_env(REDIS_URL=f"redis://127.0.0.1:{refused_port}/0"),
                        ROOT, args.runs)
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # accepts (the kernel completes the handshake) and never answers
        hung = timed(mkdocs + ["-d", str(tmp / "s5")],
                     clean_env(REDIS_URL=f"redis://127.0.0.1:{silent.getsockname()[1]}/0"), ROOT, args.runs)
        silent.close()
        rows += [("build, Redis skipped", skipped), ("build, Redis refuses", refused),
                 ("build, Redis never answers", hung)]

    width = max(len(name) for name, _ in rows)
    print(f"median of {args.runs} runs each, in fresh processes")
    for name, seconds in rows:
        print(f"  {name:<{width}}  {seconds:6.2f} s")
    values = dict(rows)
    print()
    if "notebook (nbconvert --execute)" in values:
        ratio = full / values["notebook (nbconvert --execute)"]
        print(f"full build / notebook     = {ratio:.2f}  (target ≤ 0.50: {'met' if ratio <= 0.5 else 'NOT met'})")
    share = (full - floor) / full
    print(f"checks / full build       = {share:.2f}  (target ≤ 0.20: {'met' if share <= 0.2 else 'NOT met'})")
    extra = max(refused, hung) - skipped
    print(f"Redis refusing or silent  = +{max(refused - skipped, 0):.2f} s / +{max(hung - skipped, 0):.2f} s "
          f"(target ≤ 2 s: {'met' if extra <= 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
