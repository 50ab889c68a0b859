"""Benchmark: the repeat potential (and the M2.2 focus) against labelled logs, as a learner would run it.

    python benchmarks/repeat_truth.py                       # ../shared/data/repeat-truth, if it is there
    python benchmarks/repeat_truth.py DIR [DIR ...]         # every *.jsonl with truth_hit in these folders
    python benchmarks/repeat_truth.py DIR --ttl 120         # entries (and the truth) expire after 120 s

Each log is copied without its labels into an empty folder as ``query_log.jsonl`` and checked with
``python -m checks --json --no-redis --only query_diversity``, in a child process as a learner would run it.
Printed per log: the true repeat share (``truth_hit``; with ``--ttl`` a repeat counts only when its need was
asked within the TTL, which needs each line's ``need``), the estimate with its interval, the gap, the focus
each implies, the share of a simulated semantic cache's answers (at the default threshold) that name
another id, number, date or place, and whether the judge was fitted on the log's source: a log from a
fitted source is not a test of the judge, only of the pipeline.

Then the judge's own leave-one-source-out table, from ``checks/models/repeat-judge.json``: for each labelled
log the estimate of a judge fitted without any log of its source (``scripts/fit_repeat_judge.py`` made it).
That is the figure to quote for traffic the judge has never seen.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "repeat-truth"
sys.path.insert(0, str(ROOT))

from checks.query_diversity import recommend  # noqa: E402
from checks.repeat import MODEL_FILE  # noqa: E402

FOCUS = {"prompt_compression": "compression", "semantic_cache_tuning": "cache tuning", "balanced": "balanced"}


def truth(lines: list[dict], ttl: float | None) -> float:
    if ttl is None:
        return sum(bool(r["truth_hit"]) for r in lines) / len(lines)
    last: dict[str, float] = {}
    hits = 0
    for r in sorted(lines, key=lambda r: float(r["ts"])):
        need, t = r["need"], float(r["ts"])
        hits += need in last and t - last[need] <= ttl
        last[need] = t
    return hits / len(lines)


def check(lines: list[dict], ttl: float | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        with open(Path(tmp) / "query_log.jsonl", "w", encoding="utf-8") as fh:
            for r in lines:
                fh.write(json.dumps({"ts": r["ts"], "query": r["query"], "cache_layer": "none"},
                                    ensure_ascii=False) + "\n")
        cmd = [sys.executable, "-m", "checks", "--json", "--no-redis", "--only", "query_diversity", "--data", tmp]
        if ttl is not None:
            cmd += ["--replay-ttl", str(ttl)]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={"BRIDGE_NO_CACHE": "1",
                                                                                 **_env()})
    return json.loads(out.stdout)["results"][0]


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--ttl", type=float)
    args = ap.parse_args()
    dirs = args.dirs or ([SHARED] if SHARED.is_dir() else [])
    if not dirs:
        sys.exit(f"no labelled logs: give a folder of *.jsonl with truth_hit (or make {SHARED})")
    spec = json.loads(MODEL_FILE.read_text("utf-8"))
    fitted = set(spec["sources"])
    print(f"judge {spec['name']} (fitted {spec['fitted_on']} on {', '.join(sorted(fitted))}); ttl {args.ttl or 'none'}")
    print(f"{'log':<22} {'lines':>6} {'true':>6} {'est.':>6} {'interval':>11} {'gap':>6}  {'focus (true / est.)':<28} "
          f"{'false hits':>10}  {'status':<6} fitted on source")
    gaps = []
    for d in dirs:
        for path in sorted(d.glob("*.jsonl")):
            lines = [json.loads(x) for x in path.open(encoding="utf-8") if x.strip()]
            if not lines or "truth_hit" not in lines[0]:
                continue
            if args.ttl is not None and "need" not in lines[0]:
                print(f"{path.stem:<22} skipped: --ttl needs each line's need")
                continue
            t = truth(lines, args.ttl)
            r = check(lines, args.ttl)
            m = r["metrics"]
            est, (lo, hi) = m["repeat_potential"], m["repeat_interval"]
            focus_t, focus_e = FOCUS[recommend(1 - t)], FOCUS[m["recommendation"]]
            source = path.stem.split("_")[0]
            gaps.append(abs(est - t))
            print(f"{path.stem:<22} {len(lines):>6,} {t:>6.1%} {est:>6.1%} {lo:>5.0%}–{hi:<5.0%} {100 * (est - t):>+6.1f}  "
                  f"{focus_t + ' / ' + focus_e:<28} {m['cache_false_hit_share']:>10.0%}  {r['status']:<6} "
                  f"{'yes' if source in fitted else 'no'}")
    if gaps:
        print(f"mean |gap| {100 * sum(gaps) / len(gaps):.1f} pp over {len(gaps)} logs (in-sample where fitted)")
    print(f"\nleave-one-source-out ({spec['name']}: each log estimated by a judge fitted without its source)")
    print(f"{'log':<22} {'true':>6} {'est.':>6} {'gap':>6}  {'focus (true / est.)':<28} fitted")
    for row in spec["held_out"]:
        t, e = row["true"], row["estimated"]
        print(f"{row['log']:<22} {t:>6.1%} {e:>6.1%} {100 * (e - t):>+6.1f}  "
              f"{FOCUS[recommend(1 - t)] + ' / ' + FOCUS[recommend(1 - e)]:<28} {'yes' if row['fitted'] else 'no'}")
    lo, hi = spec["loso_interval"]
    print(f"mean |gap| {spec['loso_mean_abs_error_pp']:.1f} pp over the fitted sources' logs; truth - estimate, "
          f"10th to 90th percentile {100 * lo:+.1f} to {100 * hi:+.1f} pp (the check's interval)")


if __name__ == "__main__":
    main()
