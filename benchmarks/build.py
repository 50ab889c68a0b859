"""Benchmark: building the site against executing the original notebook, measured in one run.

    python benchmarks/build.py [--runs 3]

Needs, beside the project, nbconvert and a kernel: ``pip install -e ".[bench]"``. Prints the
median wall time of each, in fresh processes:

* notebook: ``jupyter nbconvert --execute`` of the original notebook (a copy of
  ``shared/baseline/seed_notebook.ipynb`` kept in this folder), in a scratch folder;
* full: ``mkdocs build`` of the whole site on the sample data, cold (an empty analytics cache:
  the query log analysed from scratch, as on a fresh machine) and warm (the log's analysis
  served from the cache, keyed on its bytes; Redis, when there is one, is always asked);
* floor: the same pages, with the page blocks run but the checks switched off
  (``BRIDGE_CHECKS=off``): what the site costs without the checks;
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
           if k not in {"BRIDGE_DATA", "REDIS_URL", "SKIP_REDIS", "BRIDGE_SAMPLE", "BRIDGE_POLL_SECONDS",
                        "BRIDGE_CACHE_DIR", "BRIDGE_NO_CACHE"}}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.update(extra)
    return env


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
        cold_times = []
        for run in range(args.runs):
            cold_times.append(timed(mkdocs + ["-d", str(tmp / "s0")],
                                    clean_env(BRIDGE_SAMPLE="1", BRIDGE_CACHE_DIR=str(tmp / f"cold{run}")), ROOT, 1))
        cold = statistics.median(cold_times)
        warm_env = clean_env(BRIDGE_SAMPLE="1", BRIDGE_CACHE_DIR=str(tmp / "warm"))
        timed(mkdocs + ["-d", str(tmp / "s1")], warm_env, ROOT, 1)  # fills the cache
        full = timed(mkdocs + ["-d", str(tmp / "s1")], warm_env, ROOT, args.runs)
        rows.append(("full build, cold (empty cache)", cold))
        floor = timed(mkdocs + ["-d", str(tmp / "s2")], clean_env(BRIDGE_CHECKS="off"), ROOT, args.runs)
        rows += [("full build, warm", full), ("floor: same pages, checks off", floor)]
        # Dead-Redis builds share one warm cache, so that only Redis differs between them.
        dead = {"BRIDGE_CACHE_DIR": str(tmp / "warm")}
        skipped = timed(mkdocs + ["-d", str(tmp / "s3")], clean_env(SKIP_REDIS="true", **dead), ROOT, args.runs)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            refused_port = s.getsockname()[1]
        refused = timed(mkdocs + ["-d", str(tmp / "s4")],
                        clean_env(REDIS_URL=f"redis://127.0.0.1:{refused_port}/0", **dead), ROOT, args.runs)
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # accepts (the kernel completes the handshake) and never answers
        hung = timed(mkdocs + ["-d", str(tmp / "s5")],
                     clean_env(REDIS_URL=f"redis://127.0.0.1:{silent.getsockname()[1]}/0", **dead), ROOT, args.runs)
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
        nb = values["notebook (nbconvert --execute)"]
        for label, t in (("warm", full), ("cold", cold)):
            ratio = t / nb
            print(f"full build ({label}) / notebook = {ratio:.2f}  (target ≤ 0.50: {'met' if ratio <= 0.5 else 'NOT met'})")
    for label, t in (("warm", full), ("cold", cold)):
        share = (t - floor) / t
        print(f"checks / full build ({label}) = {share:.2f}  (target ≤ 0.20: {'met' if share <= 0.2 else 'NOT met'})")
    extra = max(refused, hung) - skipped
    print(f"Redis refusing or silent  = +{max(refused - skipped, 0):.2f} s / +{max(hung - skipped, 0):.2f} s "
          f"(target ≤ 2 s: {'met' if extra <= 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
