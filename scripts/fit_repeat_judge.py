"""Fit the repeat judge (checks/models/repeat-judge.json) on labelled logs, and measure it on sources it never saw.

    pip install -e ".[fit]"                       # scikit-learn, for fitting only
    python scripts/make_repeat_logs.py LOGS ...   # the labelled logs (see that script)
    python scripts/fit_repeat_judge.py LOGS       # leave-one-source-out, then the final fit
    python scripts/fit_repeat_judge.py LOGS --dry-run   # only the evaluation; nothing is written

Every log line carries ``need``. The pair features are those of ``checks/repeat.py`` itself (the same
code the check runs), computed for every request that is not an exact repeat, against its
``CANDIDATES`` most similar earlier queries. A pair is labelled "same need" when the candidate's first
request has the request's need; pairs the false-hit guard rules out are left out of the fit (the
check gives them 0).

Leave-one-source-out: for each source (the file name before its first "_"), the judge is fitted on
every other source and estimates the held-out source's logs; the model file records each log's
true and estimated repeat share, the mean absolute error and the 10th-90th percentile range of the
error (the check's interval). The decay of later candidates is chosen on those held-out errors.
Sources in ``EVALUATED_ONLY`` are estimated but never fitted on (their reason is written beside them).
Then the judge is fitted on every fitted source and written out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks import repeat  # noqa: E402
from checks.queries import Distinct  # noqa: E402

NAME = "repeat-judge"
VERSION = 1
EVALUATED_ONLY = {
    "nlupp": "NLU++ labels a need as the exact set of intent labels and slot values, so 'How long does it take "
             "to get a new PIN?' and 'When will my new PIN arrive?' count as different needs: measured, not fitted",
    "arbank": "Arabic: the shipped sentence model reads English, so its cosines say little here: measured, not fitted",
}
DECAYS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
GB = dict(max_iter=200, learning_rate=0.08, max_leaf_nodes=15, l2_regularization=1.0, random_state=0)


# the features' code: a cached log's features are used only while it is unchanged
CODE = hashlib.sha256(b"".join((ROOT / "checks" / f).read_bytes() for f in ("repeat.py", "needs.py", "queries.py",
                                                                          "embedding.py"))).hexdigest()[:12]


def source_of(name: str) -> str:
    return name.split("_")[0]


def load(path: Path) -> tuple[Distinct, list[str]]:
    distinct = Distinct()
    needs = []
    for line in path.open(encoding="utf-8"):
        rec = json.loads(line)
        distinct.add(float(rec["ts"]), rec["query"])
        needs.append(rec["need"])
    return distinct, needs


def log_data(path: Path, ttl: float | None = None) -> dict:
    """Pair features, guard and labels for every live request of one log, and each request's truth."""
    distinct, needs = load(path)
    prep = repeat.prepare(distinct, None, ttl)
    live = repeat.live_positions(prep)
    repeat.ensure_vectors(prep, live)
    cands = repeat.candidates(prep, live, ttl)
    X, guarded = repeat.features(prep, cands)
    need_seq = [needs[i] for i in prep.order.tolist()]
    first_need = {}
    for pos, r in enumerate(prep.row_of.tolist()):
        first_need.setdefault(r, need_seq[pos])
    y = np.array([need_seq[p] == first_need[c] for p, c in zip(cands["req"].tolist(), cands["cand"].tolist())])
    truth = np.zeros(len(need_seq), dtype=bool)
    last: dict[str, float] = {}
    for pos, need in enumerate(need_seq):
        t = prep.ts[pos]
        truth[pos] = need in last and (ttl is None or t - last[need] <= ttl)
        last[need] = t
    return {"X": X, "guard": guarded, "y": y, "req": cands["req"], "live": live, "exact": prep.exact, "truth": truth,
            "recall": prep.window_recall if prep.window_start is not None else None}


def fit(datas: list[dict]):
    from sklearn.ensemble import HistGradientBoostingClassifier

    Xs, ys, ws = [], [], []
    for d in datas:
        keep = ~d["guard"]
        Xs.append(d["X"][keep])
        ys.append(d["y"][keep])
        ws.append(np.full(int(keep.sum()), 1.0 / max(int(keep.sum()), 1)))  # every log weighs the same
    w = np.concatenate(ws)
    clf = HistGradientBoostingClassifier(**GB)
    clf.fit(np.vstack(Xs), np.concatenate(ys), sample_weight=w / w.mean())
    return clf


def export(clf) -> dict:
    """The fitted trees as plain arrays: ``repeat.judge`` walks them with numpy (no scikit-learn at run time)."""
    trees = []
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append({"feature": np.where(leaf, 0, nodes["feature_idx"]).astype(int).tolist(),
                      "threshold": [float(x) for x in nodes["num_threshold"]],
                      "left": np.where(leaf, -1, nodes["left"].astype(np.int64)).tolist(),
                      "right": np.where(leaf, -1, nodes["right"].astype(np.int64)).tolist(),
                      "value": [float(x) for x in nodes["value"]]})
    return {"baseline": float(np.ravel(clf._baseline_prediction)[0]), "trees": trees}


def estimate(d: dict, p: np.ndarray, decay: float) -> float:
    p = p.copy()
    p[d["guard"]] = 0.0
    probs = repeat.combine(d["req"], p, d["live"], decay)
    # the check's own arithmetic (repeat.expected_share), every live request judged
    return repeat.expected_share(int(d["exact"].sum()), float(probs.sum()), len(d["live"]), len(d["live"]),
                                 len(d["truth"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("logs", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "checks" / "models" / f"{NAME}.json")
    ap.add_argument("--cache", type=Path, help="keep each log's features here between runs")
    ap.add_argument("--ttl", type=float, default=120.0, help="also measure with entries expiring after this")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    paths = sorted(args.logs.glob("*.jsonl"))
    data, data_ttl = {}, {}
    for path in paths:
        for ttl, store in ((None, data), (args.ttl, data_ttl)):
            key = args.cache / f"{path.stem}-{ttl}-{CODE}.pkl" if args.cache else None
            if key is not None and key.exists() and key.stat().st_mtime > path.stat().st_mtime:
                store[path.stem] = pickle.loads(key.read_bytes())
            else:
                store[path.stem] = log_data(path, ttl)
                if key is not None:
                    args.cache.mkdir(parents=True, exist_ok=True)
                    key.write_bytes(pickle.dumps(store[path.stem]))
        print(f"{path.stem}: {len(data[path.stem]['y']):,} pairs", file=sys.stderr)
    names = list(data)
    fitted = [n for n in names if source_of(n) not in EVALUATED_ONLY]
    sources = sorted({source_of(n) for n in names})
    held: dict[str, np.ndarray] = {}
    held_ttl: dict[str, np.ndarray] = {}
    for s in sources:
        clf = fit([data[n] for n in fitted if source_of(n) != s])
        for n in names:
            if source_of(n) == s:
                held[n] = clf.predict_proba(data[n]["X"])[:, 1] if len(data[n]["X"]) else np.zeros(0)
                d = data_ttl[n]
                held_ttl[n] = clf.predict_proba(d["X"])[:, 1] if len(d["X"]) else np.zeros(0)
    by_decay = {}
    for decay in DECAYS:
        errs = np.array([estimate(data[n], held[n], decay) - data[n]["truth"].mean() for n in fitted])
        by_decay[decay] = float(np.sqrt(np.mean(errs ** 2)))  # chosen on the root mean square: big misses weigh
        print(f"decay {decay}: mean |error| {100 * np.mean(np.abs(errs)):.1f} pp, root mean square "
              f"{100 * by_decay[decay]:.1f}, max {100 * np.max(np.abs(errs)):.1f}")
    decay = min(by_decay, key=by_decay.get)
    table = []
    for n in names:
        t, e = float(data[n]["truth"].mean()), estimate(data[n], held[n], decay)
        tt, et = float(data_ttl[n]["truth"].mean()), estimate(data_ttl[n], held_ttl[n], decay)
        table.append({"log": n, "source": source_of(n), "fitted": source_of(n) not in EVALUATED_ONLY,
                      "requests": int(len(data[n]["truth"])), "true": round(t, 4), "estimated": round(e, 4),
                      f"true_ttl_{args.ttl:g}s": round(tt, 4), f"estimated_ttl_{args.ttl:g}s": round(et, 4)})
        print(f"  {n:16s} true {t:6.1%} estimated {e:6.1%} ({100 * (e - t):+5.1f})   "
              f"ttl {args.ttl:g}s: true {tt:6.1%} estimated {et:6.1%} ({100 * (et - tt):+5.1f})")
    errors = np.array([r["estimated"] - r["true"] for r in table if r["fitted"]])
    per_source = {}
    for r in table:
        if r["fitted"]:
            per_source.setdefault(r["source"], []).append(abs(r["estimated"] - r["true"]))
    mae = float(np.mean(np.abs(errors)))
    # the interval: what must be added to an estimate to reach the truth, 10th to 90th percentile
    lo, hi = (float(x) for x in np.percentile(-errors, [10, 90]))
    print(f"decay {decay}; mean |error| {100 * mae:.1f} pp over {len(errors)} held-out logs of "
          f"{len(per_source)} sources; truth - estimate, 10th-90th percentile: {100 * lo:+.1f} to {100 * hi:+.1f} pp")
    if args.dry_run:
        return
    clf = fit([data[n] for n in fitted])
    spec = {"name": f"{NAME}-{VERSION}", "fitted_on": date.today().isoformat(), "features": list(repeat.FEATURES),
            "decay": decay, "candidates": repeat.CANDIDATES, "loso_mean_abs_error_pp": round(100 * mae, 1),
            "loso_interval": [round(lo, 4), round(hi, 4)], "loso_rms_by_decay": {str(k): round(v, 4) for k, v in by_decay.items()},
            "sources": sorted({source_of(n) for n in fitted}),
            "evaluated_only": EVALUATED_ONLY, "held_out": table, "model": GB, **export(clf)}
    check = repeat.judge(data[fitted[0]]["X"][:2000], {**spec, "trees": [
        {k: np.asarray(v, dtype=np.float64 if k in ("threshold", "value") else np.int32) for k, v in t.items()}
        for t in spec["trees"]]})
    ref = clf.predict_proba(data[fitted[0]]["X"][:2000])[:, 1]
    assert np.allclose(check, ref, atol=1e-9), float(np.abs(check - ref).max())
    args.out.write_text(json.dumps(spec, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
