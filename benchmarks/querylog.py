"""Benchmark: query-log analytics against the floor of merely parsing the same file.

    python benchmarks/querylog.py                 # 100,000 and 1,000,000 requests
    python benchmarks/querylog.py --sizes 100000  # just one size

Generates each log with the seeded sample generator (scripts/make_sample_log.py), then runs,
each in a fresh process so that peak memory is its own:

* parse: stream the file through the record reader and do nothing else (the floor);
* full: everything the checks do with a log (costs, layers, replay, distribution).

Targets (issue 3, on a 2-core machine): 100,000 lines in <= 10 s, 1,000,000 in <= 120 s,
peak memory <= 2 GiB. Figures are printed, never asserted: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {100_000: 10.0, 1_000_000: 120.0}
MEMORY_TARGET_MIB = 2048

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, path = sys.argv[1], Path(sys.argv[2])
start = time.perf_counter()
if mode == "parse":
    from checks.querylog import ReadStats, read
    stats = ReadStats()
    for _ in read(path, stats):
        pass
    extra = {"lines": stats.lines}
else:
    from checks.prices import PriceBook
    from checks.traffic import analyse
    t = analyse(path, PriceBook())
    t.costs()
    rp = t.replay()
    extra = {"lines": t.stats.lines, "distinct": rp.distinct, "diversity": round(rp.diversity_score, 4),
             "sampled": rp.buckets_sampled}
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
print(json.dumps({"seconds": elapsed, "peak_mib": peak, **extra}))
"""


def measure(mode: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path)], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--dir", type=Path, help="keep the generated logs here (default: a temporary folder)")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_sample_log import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{'requests':>10} {'what':>6} {'seconds':>8} {'peak MiB':>9}  {'target':>14}  notes")
        for size in args.sizes:
            path = folder / f"log-{size}.jsonl"
            if not path.exists():
                began = time.perf_counter()
                with open(path, "w", encoding="utf-8") as fh:
                    for record in generate(size):
                        fh.write(json.dumps(record) + "\n")
                print(f"{size:>10,} {'gen':>6} {time.perf_counter() - began:>8.1f} {'':>9}  {'':>14}  "
                      f"{path.stat().st_size / 2**20:,.0f} MiB of JSON Lines")
            floor = measure("parse", path)
            full = measure("full", path)
            target = TARGETS.get(size)
            verdict = ""
            if target:
                ok = full["seconds"] <= target and full["peak_mib"] <= MEMORY_TARGET_MIB
                verdict = f"≤ {target:.0f} s, ≤ 2 GiB: {'met' if ok else 'NOT met'}"
            print(f"{size:>10,} {'parse':>6} {floor['seconds']:>8.1f} {floor['peak_mib']:>9,.0f}  {'(floor)':>14}")
            print(f"{size:>10,} {'full':>6} {full['seconds']:>8.1f} {full['peak_mib']:>9,.0f}  {verdict:>14}  "
                  f"{full['seconds'] / floor['seconds']:.1f}× the floor; {full['distinct']:,} distinct; "
                  f"diversity {full['diversity']:.1%}"
                  + (f"; distribution from a sample of {full['sampled']:,}" if full["sampled"] else ""))


if __name__ == "__main__":
    main()
