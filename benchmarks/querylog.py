"""Benchmark: query-log analytics against what merely reading the same file costs.

    python benchmarks/querylog.py                 # 100,000 and 1,000,000 requests
    python benchmarks/querylog.py --sizes 100000  # just one size
    python benchmarks/querylog.py --rounds 5      # the quick steps five times each (median shown)

Generates each log with the seeded sample generator (scripts/make_sample_log.py), then runs,
each in a fresh process so that peak memory is its own:

* json: a plain ``json.loads`` loop over the lines (the floor any Python reader pays);
* reader: the project's record reader alone (validation included);
* duckdb: DuckDB reading the same file and aggregating per-layer counts and token sums, the tool a
  data engineer would reach for (only if ``duckdb`` is installed: ``pip install -e ".[bench]"``);
* priced: reading, pricing and aggregating the log (everything but the replay);
* cold: the whole analysis with no cache: costs, layers, the embedding replay, the distribution;
* warm: the same through the analytics cache, as every build after the first.

And, on the first 30,000 lines, the replay's hit rate with the exact pair search against the
random-hyperplane sketches that larger logs use (the gap is the sketches' error on this log).

The quick steps (json, reader, duckdb, priced) run ``--rounds`` times, round after round, and
each shows its median run; the whole analysis runs once cold and once warm.

Targets (issue 11, on a 2-core machine): 100,000 lines <= 30 s cold and <= 10 s warm;
1,000,000 lines <= 60 s and <= 1 GiB; reading, pricing and aggregating 1,000,000 lines <= 5 s.
Figures are printed, never asserted: machines are shared and noisy.
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
TARGETS = {("cold", 100_000): 30.0, ("warm", 100_000): 10.0, ("cold", 1_000_000): 60.0,
           ("priced", 1_000_000): 5.0}
MEMORY_TARGET_MIB = 1024

CHILD = r"""
import json, os, resource, sys, time
from pathlib import Path
mode, path = sys.argv[1], Path(sys.argv[2])
start = time.perf_counter()
extra = {}
if mode == "json":
    n = 0
    with open(path, "rb") as fh:
        for line in fh:
            json.loads(line)
            n += 1
    extra = {"lines": n}
elif mode == "reader":
    from checks.querylog import ReadStats, read
    stats = ReadStats()
    for _ in read(path, stats):
        pass
    extra = {"lines": stats.lines}
elif mode == "duckdb":
    import duckdb
    rows = duckdb.sql(f"select cache_layer, count(*), sum(input_tokens), sum(output_tokens) "
                      f"from read_json_auto('{path}') group by 1").fetchall()
    extra = {"layers": len(rows)}
elif mode == "priced":
    from checks.prices import PriceBook
    from checks.traffic import analyse
    t = analyse(path, PriceBook())
    extra = {"lines": t.stats.lines, "baseline": t.costs()["baseline"]}
elif mode in ("cold", "warm"):
    from checks import Config
    from checks.context import Context
    cfg = Config(data_dir=path.parent, use_redis=False, use_cache=(mode == "warm"),
                 cache_dir=Path(sys.argv[3]))
    t = Context(cfg).traffic()
    rp = t.replay(None)
    extra = {"lines": t.stats.lines, "distinct": rp.distinct, "diversity": round(rp.diversity_score, 4),
             "similarity": rp.mode, "sketched": any("sketches" in n for n in rp.notes)}
elif mode == "gap":
    from checks import similarity
    from checks.queries import Distinct
    from checks.querylog import ReadStats, read
    d = Distinct()
    for i, rec in enumerate(read(path, ReadStats())):
        if i >= 30_000:
            break
        d.add(rec.ts, rec.query or "")
    out = {}
    for name, limit in (("exact", 10**9), ("sketch", 0)):
        similarity.EXACT_LIMIT = limit
        rp = similarity.replay(d)
        out[name] = rp.answered[rp.default_threshold]
    extra = {**out, "distinct": len(d.norms)}
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
print(json.dumps({"seconds": elapsed, "peak_mib": peak, **extra}))
"""


QUICK = ("json", "reader", "duckdb", "priced")


def median_run(runs: list[dict | None]) -> dict | None:
    """The run with the median time (``None`` when the step is not installed)."""
    done = sorted((r for r in runs if r is not None), key=lambda r: r["seconds"])
    return done[(len(done) - 1) // 2] if done else None


def measure(mode: str, path: Path, cache: Path | None = None) -> dict | None:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(cache or "")], capture_output=True,
                         text=True, cwd=ROOT)
    if out.returncode != 0:
        return None if mode == "duckdb" else {"seconds": float("nan"), "peak_mib": float("nan"),
                                               "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--dir", type=Path, help="keep the generated logs here (default: a temporary folder)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of the quick steps (json, reader, duckdb, "
                   "priced); each is shown by its median (default 3)")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_sample_log import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{'requests':>10} {'what':>7} {'seconds':>8} {'peak MiB':>9}  {'× json':>7}  target / notes")
        for size in args.sizes:
            data = folder / f"log-{size}"
            data.mkdir(exist_ok=True)
            path = data / "query_log.jsonl"
            if not path.exists():
                began = time.perf_counter()
                with open(path, "w", encoding="utf-8") as fh:
                    for record in generate(size):
                        fh.write(json.dumps(record) + "\n")
                print(f"{size:>10,} {'gen':>7} {time.perf_counter() - began:>8.1f} {'':>9}  {'':>7}  "
                      f"{path.stat().st_size / 2**20:,.0f} MiB of JSON Lines")
            cache = Path(tmp) / f"cache-{size}"
            # The quick steps, round after round (a busy spell on a shared machine then falls on all of them
            # alike); each is shown by its median round.
            rounds = [{mode: measure(mode, path) for mode in QUICK} for _ in range(args.rounds)]
            quick = {mode: median_run([r[mode] for r in rounds]) for mode in QUICK}
            floor = quick["json"]
            rows = [(mode, quick[mode]) for mode in QUICK] + [("cold", measure("cold", path, cache))]
            measure("warm", path, cache)  # fills the cache
            rows.append(("warm", measure("warm", path, cache)))
            for what, m in rows:
                if m is None:
                    print(f"{size:>10,} {what:>7} {'':>8} {'':>9}  {'':>7}  not installed")
                    continue
                target = TARGETS.get((what, size))
                note = ""
                if target:
                    ok = m["seconds"] <= target and (what != "cold" or size < 1_000_000
                                                     or m["peak_mib"] <= MEMORY_TARGET_MIB)
                    note = f"≤ {target:.0f} s" + (", ≤ 1 GiB" if what == "cold" and size >= 1_000_000 else "")
                    note += f": {'met' if ok else 'NOT met'}"
                if "distinct" in m:
                    note += (f"  {m['distinct']:,} distinct, {m['similarity']}, diversity {m['diversity']:.1%}"
                             + (", sketched pair search" if m.get("sketched") else ""))
                if "error" in m:
                    note += f"  failed: {m['error']}"
                print(f"{size:>10,} {what:>7} {m['seconds']:>8.2f} {m['peak_mib']:>9,.0f}  "
                      f"{m['seconds'] / floor['seconds']:>6.1f}×  {note}")
            gap = measure("gap", path)
            if gap and "exact" in gap:
                print(f"{size:>10,} {'gap':>7} {gap['seconds']:>8.2f} {gap['peak_mib']:>9,.0f}  {'':>7}  first 30,000 "
                      f"lines ({gap['distinct']:,} distinct): replay hit rate exact {gap['exact']:.1%}, with "
                      f"sketches {gap['sketch']:.1%} ({100 * (gap['sketch'] - gap['exact']):+.1f} pp)")


if __name__ == "__main__":
    main()
