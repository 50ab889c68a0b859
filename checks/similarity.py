"""Replaying a query log through a simulated similarity cache.

Two similarity scales, never mixed:

* **vectors** from the learner's own embedding model (the log's ``embedding``
  field): cosine, the scale semantic caches are tuned on;
* **built-in text similarity** when there are no vectors: cosine over the sets
  of character 3-grams of the normalised query. It sees shared spelling, not
  shared meaning: paraphrases that share few words score low, so at the same
  threshold it answers fewer queries than an embedding cache would, and the
  diversity it reports is an upper bound.

The exact neighbours above the lowest threshold of interest are found with
prefix filtering (the standard exact method for set-similarity joins: two sets
this similar must share one of their rarest tokens), so the replay is exact
and scales to a million requests. The similarity of each query to its most
similar earlier query below that threshold (the 0–30% / 30–70% split) is
computed exhaustively, on a uniform sample when the log is large.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from array import array
from dataclasses import dataclass, field

import numpy as np

THRESHOLDS = (0.80, 0.85, 0.90, 0.95)
DEFAULT_THRESHOLD = {"vectors": 0.85, "text": 0.80}
NEIGHBOUR_FLOOR = min(THRESHOLDS)  # every pair at or above this is found exactly, for the replay
MAX_NEIGHBOURS = 64  # per query, the most similar kept for the replay
SAMPLE_LIMIT = 4000  # first occurrences whose best earlier match is computed exhaustively
SAMPLE_BUDGET = 300_000_000  # posting entries read for that before settling for a smaller sample
MAX_VECTOR_QUERIES = 50_000  # distinct vectors compared all-against-all; more fall back to text
BUCKETS = ("0-30%", "30-70%", "70-100%")

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")


def normalise(query: str) -> str:
    """Case, Unicode forms, punctuation and spacing do not make a query new."""
    text = unicodedata.normalize("NFKC", query).casefold()
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


def trigrams(norm: str) -> set[str]:
    padded = f" {norm} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def set_cosine(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


@dataclass
class Distinct:
    """The distinct queries of a log, in order of first appearance, and the request sequence."""

    norms: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)  # the first raw spelling of each
    vectors: list[np.ndarray] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    ts: array = field(default_factory=lambda: array("d"))
    ids: array = field(default_factory=lambda: array("l"))

    def add(self, ts: float, query: str, vector: list[float] | None = None) -> None:
        norm = normalise(query)
        did = self.index.get(norm)
        if did is None:
            did = len(self.norms)
            self.index[norm] = did
            self.norms.append(norm)
            self.counts.append(0)
            self.examples.append(query)
            if vector is not None:
                self.vectors.append(np.asarray(vector, dtype=np.float32))
        self.counts[did] += 1
        self.ts.append(ts)
        self.ids.append(did)


@dataclass
class Replay:
    mode: str  # "vectors" or "text"
    requests: int
    distinct: int
    exact_repeat_share: float
    answered: dict[float, float]  # threshold -> share of requests the cache would have answered
    default_threshold: float
    diversity_score: float
    buckets: dict[str, float]
    buckets_sampled: int | None  # None: exact over all queries; else the sample size
    ttl_s: float | None
    top_groups: list[tuple[str, int]]
    notes: list[str]


def _token_sets(norms: list[str]) -> list[list[int]]:
    """Each query's character 3-grams as token ids, sorted rarest first (a global order)."""
    df: dict[str, int] = {}
    grams = [trigrams(n) for n in norms]
    for g in grams:
        for t in g:
            df[t] = df.get(t, 0) + 1
    order = {t: i for i, t in enumerate(sorted(df, key=lambda t: (df[t], t)))}
    return [sorted(order[t] for t in g) for g in grams]


def _neighbours_text(toks: list[list[int]], floor: float) -> list[list[tuple[int, float]]]:
    """Every pair with set-cosine >= floor, exactly (AllPairs prefix filtering, in order of size).

    Two sets this similar must share a token among the probe's rarest |x| - ceil(t²|x|) + 1 and
    the indexed set's rarest |y| - ceil(t|y|) + 1, once sets are visited smallest first.
    """
    sets = [frozenset(t) for t in toks]
    sq = floor * floor
    index: dict[int, list[int]] = {}
    neighbours: list[list[tuple[int, float]]] = [[] for _ in toks]
    for x in sorted(range(len(toks)), key=lambda i: len(toks[i])):
        tx = toks[x]
        lx = len(tx)
        if lx == 0:
            continue
        lo = sq * lx
        sx = sets[x]
        seen: set[int] = set()
        for tok in tx[: lx - math.ceil(sq * lx) + 1]:
            for y in index.get(tok, ()):
                if y in seen:
                    continue
                seen.add(y)
                ly = len(toks[y])
                if ly < lo:
                    continue
                sim = len(sx & sets[y]) / math.sqrt(lx * ly)
                if sim >= floor:
                    neighbours[x].append((y, sim))
                    neighbours[y].append((x, sim))
        for tok in tx[: lx - math.ceil(floor * lx) + 1]:
            index.setdefault(tok, []).append(x)
    return neighbours


def _best_earlier_text(toks: list[list[int]], sample: list[int], budget: int) -> list[float]:
    """Best set-cosine against every earlier query, for the sampled queries, exhaustively.

    Stops early once ``budget`` posting entries have been read (at least 200 queries are done).
    """
    postings: dict[int, list[int]] = {}
    for i, t in enumerate(toks):
        for tok in t:
            postings.setdefault(tok, []).append(i)
    arrays = {t: np.asarray(p, dtype=np.int64) for t, p in postings.items()}
    lengths = np.asarray([max(len(t), 1) for t in toks], dtype=np.float64)
    out: list[float] = []
    spent = 0
    for x in sample:
        if spent > budget and len(out) >= 200:
            break
        parts = [a[: np.searchsorted(a, x)] for a in (arrays[t] for t in toks[x])]
        hits = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        spent += hits.size + x
        if hits.size == 0:
            out.append(0.0)
            continue
        overlap = np.bincount(hits, minlength=x)
        out.append(float((overlap / np.sqrt(lengths[x] * lengths[:x])).max()))
    return out


def _neighbours_vectors(vectors: list[np.ndarray], floor: float) -> tuple[list[list[tuple[int, float]]], list[float]]:
    mat = np.vstack(vectors).astype(np.float32)
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    mat = mat / np.where(norms == 0, 1, norms)
    n = len(mat)
    neighbours: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    best = [0.0] * n
    block = 1024
    for start in range(0, n, block):
        stop = min(n, start + block)
        sims = mat[start:stop] @ mat[:stop].T  # each new query against every query up to it
        for row in range(stop - start):
            x = start + row
            earlier = sims[row, :x]
            if x:
                best[x] = float(max(earlier.max(), 0.0))
            for y in np.nonzero(earlier >= floor)[0]:
                sim = float(earlier[y])
                neighbours[x].append((int(y), sim))
                neighbours[int(y)].append((x, sim))
    return neighbours, best


def _simulate(ts: array, ids: array, order: np.ndarray, neighbours: list[list[tuple[int, float]]],
              threshold: float, ttl: float | None) -> int:
    """Requests a similarity cache at ``threshold`` would have answered, replayed in time order.

    An entry is written when a request is not answered, and lives ``ttl`` seconds.
    """
    stored: dict[int, float] = {}
    answered = 0
    for i in order:
        t, d = ts[i], ids[i]
        at = stored.get(d)
        if at is not None and (ttl is None or t - at <= ttl):
            answered += 1
            continue
        hit = False
        for y, sim in neighbours[d]:
            if sim < threshold:
                continue
            at = stored.get(y)
            if at is not None and (ttl is None or t - at <= ttl):
                hit = True
                break
        if hit:
            answered += 1
        else:
            stored[d] = t
    return answered


def replay(distinct: Distinct, ttl_s: float | None = None, seed: int = 0) -> Replay:
    notes: list[str] = []
    n_req, n_dist = len(distinct.ids), len(distinct.norms)
    use_vectors = bool(distinct.vectors) and len(distinct.vectors) == n_dist
    if use_vectors and n_dist > MAX_VECTOR_QUERIES:
        notes.append(f"{n_dist:,} distinct queries carry vectors, more than the {MAX_VECTOR_QUERIES:,} compared "
                     "all-against-all here: the built-in text similarity was used instead.")
        use_vectors = False
    best: list[float] = []
    if use_vectors:
        mode = "vectors"
        neighbours, best = _neighbours_vectors(distinct.vectors, NEIGHBOUR_FLOOR)
    else:
        mode = "text"
        toks = _token_sets(distinct.norms)
        neighbours = _neighbours_text(toks, NEIGHBOUR_FLOOR)
    for nb in neighbours:  # most similar first, and only as many as the replay needs
        nb.sort(key=lambda p: -p[1])
        del nb[MAX_NEIGHBOURS:]

    order = np.argsort(np.frombuffer(distinct.ts, dtype=np.float64), kind="stable")
    answered = {t: _simulate(distinct.ts, distinct.ids, order, neighbours, t, ttl_s) / n_req for t in THRESHOLDS}
    default = DEFAULT_THRESHOLD[mode]

    # Each request's similarity to its most similar earlier request: 1.0 for a repeat. Distinct ids
    # are numbered in order of first appearance in the file; "earlier" here is in time order.
    rank = np.empty(n_dist, dtype=np.int64)  # distinct id -> position of its first request in time
    seen = np.zeros(n_dist, dtype=bool)
    repeats = 0
    firsts: list[int] = []
    for i in order:
        d = distinct.ids[i]
        if seen[d]:
            repeats += 1
        else:
            seen[d] = True
            rank[d] = len(firsts)
            firsts.append(d)
    pool = list(range(n_dist))
    if n_dist > SAMPLE_LIMIT:
        pool = random.Random(seed).sample(pool, SAMPLE_LIMIT)
    if mode == "vectors":
        scores = [best[d] for d in pool]
    else:
        # Renumber by time of first appearance so that "earlier" is a prefix of the arrays.
        by_time = [toks[d] for d in firsts]
        scores = _best_earlier_text(by_time, sorted(int(rank[d]) for d in pool), SAMPLE_BUDGET)
    measured = len(scores)
    shares = [sum(1 for s in scores if s < 0.30) / measured,
              sum(1 for s in scores if 0.30 <= s < 0.70) / measured,
              sum(1 for s in scores if s >= 0.70) / measured] if measured else [0.0, 0.0, 0.0]
    firsts_share = n_dist / n_req
    buckets = {"0-30%": shares[0] * firsts_share, "30-70%": shares[1] * firsts_share,
               "70-100%": shares[2] * firsts_share + repeats / n_req}
    sampled = measured if measured < n_dist else None
    top = sorted(range(n_dist), key=lambda d: (-distinct.counts[d], d))[:5]
    groups = [(distinct.examples[d], distinct.counts[d]) for d in top if distinct.counts[d] > 1]
    return Replay(mode, n_req, n_dist, repeats / n_req, answered, default, 1 - answered[default], buckets,
                  sampled, ttl_s, groups, notes)
