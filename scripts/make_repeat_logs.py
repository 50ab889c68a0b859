"""Labelled query logs, with a need per line, from public datasets: the repeat judge's development data.

    python scripts/make_repeat_logs.py OUT_DIR --shared PATH/TO/make_repeat_truth.py \
        --hwu64 GIT --snips GIT --clinc GIT --polyai GIT --hint3 GIT --gptcache GIT --twitter GIT --arbanking GIT

Each GIT is a git directory (bare or not) of the public repository named below; files are read with
``git show HEAD:PATH``, nothing is downloaded. ``--shared`` is the steering repository's
``shared/data/repeat-truth/make_repeat_truth.py``, whose need definitions for SNIPS, HWU64, CLINC150 and
the synthetic id-variant questions this script reuses to draw more logs (other mixes of repeats). Any
source left out is skipped. Nothing it writes is committed: the data's licences are below, and some
(QQP, the Twitter URL corpus) allow no redistribution.

Every line: {"ts", "query", "cache_layer": "none", "need", "truth_hit"}. ``need`` names the request's
need; ``truth_hit`` is true when an earlier line has the same need. ``ts`` grows by a seeded 1-60 s a line.
A log's source is its file name before the first "_": the leave-one-source-out evaluation in
``scripts/fit_repeat_judge.py`` holds out every log of a source together.

| source | repository | licence | need |
|---|---|---|---|
| snips, hwu64, clinc, idvariant | sonos/nlu-benchmark, xliuhw/NLU-Evaluation-Data, clinc/oos-eval; synthetic | CC0, CC BY 4.0, CC BY 3.0; ours | as in make_repeat_truth.py |
| bank77 | PolyAI-LDN/task-specific-datasets (banking_data) | CC BY 4.0 | the intent (77 support intents) |
| nlupp | PolyAI-LDN/task-specific-datasets (nlupp) | CC BY 4.0 | intent labels + slot values |
| hint3sofm, hint3cure, hint3powe | hellohaptik/HINT3 (dataset/v2) | ODbL 1.0 | the intent; out-of-scope queries are one-offs |
| qqp | zilliztech/GPTCache examples/benchmark (Quora Question Pairs) | Quora's terms: no redistribution | duplicate cluster |
| gptmock | zilliztech/GPTCache examples/benchmark/mock_data.json | MIT | the pair |
| twitter | lanwuwei/Twitter-URL-Corpus (data example) | CC BY-NC-SA 3.0 | the linked story |
| arbank | SinaLab/ArBanking77 (MSA test) | CC BY-SA 4.0 | the intent (Arabic) |
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import random
import subprocess
import sys
import tarfile
from collections import defaultdict
from pathlib import Path

T0 = 1_700_000_000


def blob(git_dir: str, path: str) -> bytes:
    r = subprocess.run(["git", "--git-dir", git_dir, "show", f"HEAD:{path}"], capture_output=True)
    if r.returncode != 0:
        r = subprocess.run(["git", "-C", git_dir, "show", f"HEAD:{path}"], capture_output=True)
    if r.returncode != 0:
        sys.exit(f"cannot read {path} from {git_dir}: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


class Writer:
    def __init__(self, out: Path) -> None:
        self.out = out

    def write(self, name: str, items: list[tuple[str, object]], seed: int) -> None:
        """``items``: (text, need) in traffic order."""
        rng = random.Random(seed)
        ts = T0
        seen: set[str] = set()
        hits = 0
        with (self.out / f"{name}.jsonl").open("w", encoding="utf-8", newline="\n") as f:
            for text, need in items:
                key = repr(need)
                hit = key in seen
                seen.add(key)
                hits += hit
                f.write(json.dumps({"ts": ts, "query": text, "cache_layer": "none", "need": key, "truth_hit": hit},
                                   ensure_ascii=False) + "\n")
                ts += rng.randint(1, 60)
        print(f"{name}.jsonl: {len(items):,} lines, {hits / max(len(items), 1):.1%} repeats, {len(seen):,} needs")


def draw(groups: dict, n: int, rng: random.Random, zipf: float = 0.0) -> list[tuple[str, object]]:
    """``n`` lines from groups (each one need), a group chosen with weight ~ 1 / rank ** zipf."""
    keys = sorted(groups, key=repr)
    rng.shuffle(keys)
    pools = {k: rng.sample(groups[k], len(groups[k])) for k in keys}
    weights = [1 / (r + 1) ** zipf for r in range(len(keys))]
    items: list[tuple[str, object]] = []
    while len(items) < n and any(pools.values()):
        k = rng.choices(keys, weights)[0]
        if pools[k]:
            items.append((pools[k].pop(), k))
    return items


def shared_sources(w: Writer, mrt, args) -> None:
    if args.snips:
        snips, _ = mrt.snips_groups(args.snips)
        for name, (hits, misses, seed, cap) in {"snips_10": (240, 2160, 1, 10), "snips_25": (600, 1800, 2, 10),
                                                "snips_40": (780, 1200, 3, 30), "snips_big": (950, 6000, 4, 40)}.items():
            w.write(name, mrt.assemble(snips, hits, misses, random.Random(seed), cap=cap), seed)
    if args.hwu64:
        hwu, _ = mrt.hwu_groups(args.hwu64)
        for name, (hits, misses, seed, cap) in {"hwu64_20": (500, 2000, 1, 20), "hwu64_50": (1250, 1250, 2, 20),
                                                "hwu64_65": (1300, 700, 3, 40)}.items():
            w.write(name, mrt.assemble(hwu, hits, misses, random.Random(seed), cap=cap), seed)
    if args.clinc:
        clinc, _ = mrt.clinc_groups(args.clinc)
        for name, (hits, misses, seed, zipf) in {"clinc_78": (3500, 1000, 1, 0.6), "clinc_50": (1150, 1150, 2, 0.6),
                                                 "clinc_25": (390, 1180, 3, 1.0)}.items():
            w.write(name, mrt.assemble(clinc, hits, misses, random.Random(seed), cap=150, zipf=zipf), seed)
    for seed, (n, h) in enumerate([(3000, 600), (3000, 1200), (3000, 1800)], 1):
        items, _ = mrt.idvariant_items(n, h, random.Random(100 + seed))
        w.write(f"idvariant_{h * 100 // n}", items, seed)


def polyai(w: Writer, git: str) -> None:
    bank = defaultdict(list)
    for split in ("train", "test"):
        for row in csv.DictReader(io.StringIO(blob(git, f"banking_data/{split}.csv").decode("utf-8"))):
            bank[("b77", row["category"])].append(" ".join(row["text"].split()))
    for name, n, seed, zipf in (("bank77_300", 300, 1, 0.0), ("bank77_1000", 1000, 2, 0.5), ("bank77_3000", 3000, 3, 0.0),
                                ("bank77_10000", 10000, 4, 0.3)):
        w.write(name, draw(bank, n, random.Random(seed), zipf), seed)
    for dom in ("banking", "hotels"):
        groups = defaultdict(list)
        for k in range(20):
            for ex in json.loads(blob(git, f"nlupp/data/{dom}/fold{k}.json")):
                intents = tuple(sorted(ex.get("intents", [])))
                if not intents:
                    continue
                slots = tuple((typ, json.dumps(s.get("value", s.get("values")), sort_keys=True))
                              for typ, s in sorted((ex.get("slots") or {}).items()))
                groups[(dom, intents, slots)].append(" ".join(ex["text"].split()))
        items = [(t, k) for k, ts in groups.items() for t in ts]
        random.Random(5).shuffle(items)
        w.write(f"nlupp_{dom}", items, 5)


def hint3(w: Writer, git: str) -> None:
    for bot, sizes in (("sofmattress", (400, 900)), ("curekart", (600, 1500)), ("powerplay11", (600, 1500))):
        groups, oos = defaultdict(list), []
        for split in ("train", "test"):
            text = blob(git, f"dataset/v2/{split}/{bot}_{split}.csv").decode("utf-8", "replace")
            for row in csv.DictReader(io.StringIO(text)):
                q = " ".join(row["sentence"].split())
                if q:
                    (oos.append(q) if row["label"] == "NO_NODES_DETECTED" else groups[(bot, row["label"])].append(q))
        for k, n in enumerate(sizes):
            rng = random.Random(20 + k)
            pool = [(t, key) for key in sorted(groups) for t in groups[key]]
            rng.shuffle(pool)
            out = [(t, ("oos", t)) for t in oos]
            rng.shuffle(out)
            n_oos = min(len(out), n // 5)
            items = pool[:n - n_oos] + out[:n_oos]
            rng.shuffle(items)
            w.write(f"hint3{bot[:4]}_{n}", items, 20 + k)


def gptcache(w: Writer, git: str) -> None:
    raw = blob(git, "examples/benchmark/similiar_qqp_full.json.gz")
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("similiar_qqp_full.json"))
        pairs = json.load(tar.extractfile(member))
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        if p["label"] == 1:
            parent[find(p["text_a"])] = find(p["text_b"])
    pos = [p for p in pairs if p["label"] == 1]
    neg = [p for p in pairs if p["label"] == 0]
    # Logs of several sizes: in a larger log each request has more unrelated queries that happen to read alike.
    for name, npairs, share, seed in (("qqp_mix", 1200, 0.37, 7), ("qqp_pos", 1000, 1.0, 8), ("qqp_low", 1500, 0.2, 9),
                                      ("qqp_mix12k", 6000, 0.37, 10), ("qqp_mix24k", 12000, 0.37, 11),
                                      ("qqp_pos12k", 6000, 0.8, 12)):
        rng = random.Random(seed)
        chosen = rng.sample(pos, int(npairs * share)) + rng.sample(neg, npairs - int(npairs * share))
        items = [(t, find(t)) for p in chosen for t in (p["text_a"], p["text_b"])]
        rng.shuffle(items)
        w.write(name, items, seed)
    mock = json.loads(blob(git, "examples/benchmark/mock_data.json"))
    items = [(t, i) for i, p in enumerate(mock) for t in (p["origin"], p["similar"])]
    random.Random(8).shuffle(items)
    w.write("gptmock", items, 8)


def twitter(w: Writer, git: str) -> None:
    groups, others = defaultdict(set), []
    for f in ("Twitter_URL_Corpus_train_sample.txt", "Twitter_URL_Corpus_test_sample.txt"):
        for line in blob(git, f"data example/{f}").decode("utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 4:
                continue
            headline, tweet, votes, url = parts[0].strip(), parts[1].strip(), parts[2], parts[3]
            yes = int(votes.strip("()").split(",")[0])
            groups[url].add(headline)
            if yes >= 4:  # the corpus' own rule: 4 or more of 6 annotators call it a paraphrase
                groups[url].add(tweet)
            elif yes <= 2:
                others.append((tweet, ("tweet", tweet)))
    items = [(t, u) for u in sorted(groups) for t in sorted(groups[u])] + others
    random.Random(9).shuffle(items)
    w.write("twitter", items, 9)


def arbanking(w: Writer, git: str) -> None:
    groups = defaultdict(list)
    text = blob(git, "data/Banking77_Arabized_MSA_test.csv").decode("utf-8-sig")
    for row in csv.DictReader(io.StringIO(text)):
        groups[("ar", row["label"])].append(" ".join(row["text"].split()))
    w.write("arbank_1000", draw(groups, 1000, random.Random(4)), 4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--shared", type=Path, help="make_repeat_truth.py of the steering repository")
    for name in ("hwu64", "snips", "clinc", "polyai", "hint3", "gptcache", "twitter", "arbanking"):
        ap.add_argument(f"--{name}", metavar="GIT")
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    w = Writer(args.out_dir)
    if args.shared:
        spec = importlib.util.spec_from_file_location("make_repeat_truth", args.shared)
        mrt = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mrt)
        shared_sources(w, mrt, args)
    for name, build in (("polyai", polyai), ("hint3", hint3), ("gptcache", gptcache), ("twitter", twitter),
                        ("arbanking", arbanking)):
        if getattr(args, name):
            build(w, getattr(args, name))


if __name__ == "__main__":
    main()
