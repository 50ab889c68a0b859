"""Benchmark: building the site against executing the original notebook, measured in one run.

    python benchmarks/build.py [--runs 5]

Needs, beside the project, nbconvert and a kernel: ``pip install -e ".[bench]"``. Runs each
variant below once per round, for ``--runs`` rounds (so that a busy spell on a shared machine
falls on all of them alike), each in a fresh process, and prints the medians:

* notebook: ``jupyter nbconvert --execute`` of the original notebook (a copy of
  ``shared/baseline/seed_notebook.ipynb`` kept in this folder), in a scratch folder;
* full: ``mkdocs build`` of the whole site on the sample data, cold (an empty analytics cache:
  the query log analysed from scratch, as after a clone or a change of the log) and warm (the
  log's analysis served from the cache, keyed on its bytes; Redis, when there is one, is always
  asked);
* floor: the same pages, with the page blocks run but the checks switched off
  (``BRIDGE_CHECKS=off``): what the site costs without the checks, warm and with an empty cache
  (the theme's templates compiled afresh, as in a cold build);
* unreachable / silent Redis: a build asking a Redis that refuses connections, and one that
  accepts and never answers, against the same build with Redis skipped;
* the parts of a cold build's checks: importing their libraries, and analysing the sample log
  in a process whose imports are done.

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
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = Path(__file__).resolve().parent / "seed_notebook.ipynb"
BIN = Path(sys.executable).parent


def run_once(cmd: list[str], env: dict, cwd: Path) -> float:
    began = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"BRIDGE_DATA", "REDIS_URL", "SKIP_REDIS", "BRIDGE_SAMPLE", "BRIDGE_POLL_SECONDS",
                        "BRIDGE_CACHE_DIR", "BRIDGE_NO_CACHE", "BRIDGE_CHECKS"}}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.update(extra)
    return env


def library_imports(env: dict) -> float:
    """What importing the checks' heavy libraries costs a fresh process, over a bare interpreter."""
    code = "import numpy, scipy.sparse, genai_prices, jsonschema"
    bare = run_once([sys.executable, "-c", "pass"], env, ROOT)
    return run_once([sys.executable, "-c", code], env, ROOT) - bare


ANALYSIS = r"""
import sys, time
from pathlib import Path
import numpy, scipy.sparse, genai_prices, jsonschema  # imported first: timed separately above
from checks.config import SAMPLE_DIR
from checks.prices import PriceBook
from checks.traffic import analyse
began = time.perf_counter()
traffic = analyse(SAMPLE_DIR / "query_log.jsonl", PriceBook.load(SAMPLE_DIR, str))
traffic.replay(None)
print(time.perf_counter() - began)
"""


def sample_analysis(env: dict) -> float:
    """The sample log's analysis and replay alone, timed inside a process whose imports are done."""
    out = subprocess.run([sys.executable, "-c", ANALYSIS], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    jupyter = shutil.which("jupyter", path=str(BIN)) or shutil.which("jupyter")
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "-q"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scratch = tmp / "nb"
        scratch.mkdir()
        shutil.copy(NOTEBOOK, scratch / NOTEBOOK.name)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            refused_port = s.getsockname()[1]
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # accepts (the kernel completes the handshake) and never answers
        warm = str(tmp / "warm")  # the warm builds and the Redis builds share one filled cache,
        # so that between the last three only Redis differs
        counter = iter(range(10**6))

        def notebook() -> float:
            # The notebook writes stub files into its folder; each run starts from the same empty one.
            for f in scratch.iterdir():
                if f.name != NOTEBOOK.name:
                    f.unlink()
            return run_once([jupyter, "nbconvert", "--to", "notebook", "--execute", NOTEBOOK.name,
                             "--output", str(tmp / "out.ipynb")], clean_env(), scratch)

        def build(**env: str):
            return lambda: run_once(mkdocs + ["-d", str(tmp / f"site{next(counter)}")], clean_env(**env), ROOT)

        variants: dict[str, Callable[[], float]] = {}
        if jupyter:
            variants["notebook (nbconvert --execute)"] = notebook
        else:
            print("jupyter not found: pip install -e '.[bench]' to time the notebook")
        variants.update({
            "full build, cold (empty cache)":
                lambda: build(BRIDGE_SAMPLE="1", BRIDGE_CACHE_DIR=str(tmp / f"cold{next(counter)}"))(),
            "full build, warm": build(BRIDGE_SAMPLE="1", BRIDGE_CACHE_DIR=warm),
            "floor: same pages, checks off": build(BRIDGE_SAMPLE="1", BRIDGE_CHECKS="off", BRIDGE_CACHE_DIR=warm),
            "floor, cold (empty cache)":
                lambda: build(BRIDGE_SAMPLE="1", BRIDGE_CHECKS="off", BRIDGE_CACHE_DIR=str(tmp / f"fc{next(counter)}"))(),
            "build, Redis skipped": build(SKIP_REDIS="true", BRIDGE_CACHE_DIR=warm),
            "build, Redis refuses": build(REDIS_URL=f"redis://127.0.0.1:{refused_port}/0", BRIDGE_CACHE_DIR=warm),
            "build, Redis never answers":
                build(REDIS_URL=f"redis://127.0.0.1:{silent.getsockname()[1]}/0", BRIDGE_CACHE_DIR=warm),
            "import numpy, scipy.sparse, genai_prices, jsonschema": lambda: library_imports(clean_env()),
            "analysis of the sample log, imports done": lambda: sample_analysis(clean_env()),
        })
        build(BRIDGE_SAMPLE="1", BRIDGE_CACHE_DIR=warm)()  # fills the cache (and Jinja's, and the OS's)
        # Round-robin: every variant once per round, so that a busy spell on a shared machine
        # falls on all of them alike instead of on whichever ran during it.
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.runs):
            for name, fn in variants.items():
                times[name].append(fn())
        silent.close()

    values = {name: statistics.median(ts) for name, ts in times.items()}
    width = max(map(len, values))
    print(f"median of {args.runs} rounds, each variant once per round, in fresh processes")
    for name, seconds in values.items():
        spread = f"({min(times[name]):.2f}–{max(times[name]):.2f})"
        print(f"  {name:<{width}}  {seconds:6.2f} s  {spread}")
    cold, full = values["full build, cold (empty cache)"], values["full build, warm"]
    floor = values["floor: same pages, checks off"]
    floor_cold = values["floor, cold (empty cache)"]  # the theme's templates compiled afresh, as in a cold build
    print()
    nb = values.get("notebook (nbconvert --execute)")
    if nb:
        for label, t in (("warm", full), ("cold", cold)):
            ratio = t / nb
            print(f"full build ({label}) / notebook = {ratio:.2f}  (target ≤ 0.50: {'met' if ratio <= 0.5 else 'NOT met'})")
    for label, t, base in (("warm", full, floor), ("cold", cold, floor_cold)):
        share = max(t - base, 0.0) / t
        print(f"checks / full build ({label}) = {share:.2f}  (target ≤ 0.20: {'met' if share <= 0.2 else 'NOT met'})")
    skipped = values["build, Redis skipped"]
    refused, hung = values["build, Redis refuses"], values["build, Redis never answers"]
    extra = max(refused, hung) - skipped
    print(f"Redis refusing or silent  = +{max(refused - skipped, 0):.2f} s / +{max(hung - skipped, 0):.2f} s "
          f"(target ≤ 2 s: {'met' if extra <= 2 else 'NOT met'})")
    print(f"the cold build's checks ({max(cold - floor_cold, 0):.2f} s) read the sample's shipped analysis; a log "
          f"of your own costs, once, importing the libraries "
          f"{values['import numpy, scipy.sparse, genai_prices, jsonschema']:.2f} s and analysing a log the sample's "
          f"size {values['analysis of the sample log, imports done']:.2f} s")


if __name__ == "__main__":
    main()
