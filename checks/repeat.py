"""The repeat potential of a query log: the share of requests whose need was already asked earlier.

That share is the most any cache could answer, and 1 − it is the query diversity the M2.2 focus is
chosen on. No threshold of one similarity estimates it across traffic (the best one ranged from 0.55
to 0.93 over public labelled logs), so it is estimated as an expected count:

1. **Exact repeats** (the same text once case, punctuation and spacing are normalised, asked again
   within the TTL when one is given) are repeats.
2. Every other request is a **first asking** or a paraphrase. For each (all of them, or a uniform
   sample of ``SAMPLE`` when there are more) its ``CANDIDATES`` most similar earlier queries (within
   the TTL) are found by the shipped sentence-embedding model, down to any similarity.
3. A **judge** gives each (request, candidate) pair the probability that both ask the same thing,
   from features of the pair: the cosine, the request's rank among its own neighbours and how dense
   its neighbourhood is, character 3-gram and word overlap (weighted by how rare each word is in this
   log), words left without a counterpart, a number on one side only, negation, opposite words
   (import/export, on/off), capitalised names that differ, lengths. The judge is a gradient-boosted
   model fitted by ``scripts/fit_repeat_judge.py`` on public labelled logs (named in its model file),
   never on the shipped sample.
4. **False-hit guard**: a pair that names different values of one kind (two order numbers, amounts,
   dates, cities: ``needs.differ``) is never the same need.
5. A request's probability of being a repeat combines its candidates' (the most probable counts in
   full, the next ones less: ``1 − Π (1 − p_k)^(DECAY^k)``), and the repeat potential is the exact
   repeats plus the sum of those probabilities.

In a log of more than ``RECENT`` distinct queries a request's candidates (and its neighbourhood) come from
the ``RECENT`` distinct queries asked most recently before it: the regime the judge was fitted in, since
in a larger pool more unrelated queries read alike (a 24,000-line log of Quora questions came out at 84%
repeats for a true 24% when judged against every earlier query). Paraphrases of needs last asked further
back are then not counted; the result says so, with the share of exact repeats the window does see.

The interval combines the sample's own error with the judge's error on labelled sources it was not
fitted to (leave-one-source-out), as recorded in the model file.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import needs

if TYPE_CHECKING:
    import numpy as np

    from .queries import Distinct

MODEL_FILE = Path(__file__).resolve().parent / "models" / "repeat-judge.json"
CANDIDATES = 8  # earlier queries judged per request
SAMPLE = 4000  # requests judged; more are sampled uniformly (the sampling error is in the interval)
NEIGHBOURHOOD = 64  # a request's rank among its own neighbours is counted up to this
DENSITY_K = 5  # its neighbourhood's density: the mean cosine of its 5 most similar queries
BACKGROUND_K = 20  # ... and the level of its 20th most similar: what unrelated queries reach in a log this big
BLOCK = 256  # requests compared with every earlier query at once
RECENT = 3000  # a request is judged against at most this many distinct queries: the most recently asked
MIN_RECALL_EXACT = 30  # exact repeats needed to measure how many repeats that window sees
_CHUNK = 65_536  # requests walked a piece at a time
SEGMENTS = 8  # a long log's sample: this many runs of consecutive requests, evenly through it

FEATURES = ("cos", "rank", "density", "cand_rank", "above_background", "pool", "trigram", "jaccard", "weighted_jaccard", "unaligned_max",
            "unaligned_min", "length_ratio", "log_length", "number_one_side", "names_differ", "negation",
            "opposites", "rarest_difference")

NEGATIONS = frozenset("not no never dont cant wont isnt doesnt didnt arent wasnt werent cannot without nt t".split())
_OPPOSITES = """on off|import export|free pro|free paid|up down|increase decrease|add remove|enable disable|start stop|
open close|buy sell|in out|before after|min max|minimum maximum|louder quieter|raise lower|more less|higher lower|
activate deactivate|lock unlock|subscribe unsubscribe|deposit withdraw|incoming outgoing|send receive|sent received|
faster slower|brighter dimmer|first last|next previous|today tomorrow|tomorrow yesterday|today yesterday|
morning evening|morning night|north south|east west|pair unpair|hot cold|warmer colder|plus minus|win lose|
accept decline|allow block|join leave|login logout|upload download|install uninstall|connect disconnect|debit credit|
cheap expensive|cheapest expensive|best worst|early late|earliest latest|new old|male female|men women|boy girl|
mute unmute|like dislike|rise fall|pros cons|advantages disadvantages|true false|success failure|public private|
inside outside|above below|over under|encrypt decrypt|export import|personal business|monthly yearly|monthly annual"""
OPPOSITES: dict[str, frozenset[str]] = {}
for _pair in _OPPOSITES.replace("\n", "").split("|"):
    _a, _b = _pair.split()
    OPPOSITES[_a] = OPPOSITES.get(_a, frozenset()) | {_b}
    OPPOSITES[_b] = OPPOSITES.get(_b, frozenset()) | {_a}


@dataclass(frozen=True)
class RepeatEstimate:
    potential: float  # share of requests whose need was asked earlier (within the TTL)
    low: float
    high: float  # the interval: the judge's leave-one-source-out error and the sampling error
    method: str  # the judge's name and version, or "exact" when nothing needed judging
    exact_share: float  # exact repeats alone (a floor)
    judged: int  # requests the judge looked at
    sampled: bool  # whether those were a sample of the requests that needed judging
    requests: int
    loso_error_pp: float  # the judge's mean absolute error on sources it was not fitted to (points)
    notes: tuple[str, ...] = ()


def model_card() -> dict:
    """The judge's provenance and measured error, without its trees: light enough for a page block."""
    data = json.loads(MODEL_FILE.read_text("utf-8"))
    return {k: v for k, v in data.items() if k != "trees"}


@lru_cache(maxsize=1)
def model() -> dict:
    """The judge: trees and settings from ``models/repeat-judge.json`` (made by ``scripts/fit_repeat_judge.py``)."""
    import numpy as np

    data = json.loads(MODEL_FILE.read_text("utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise RuntimeError(f"{MODEL_FILE.name} was fitted on other features: run scripts/fit_repeat_judge.py")
    trees = [{k: np.asarray(t[k], dtype=np.float64 if k in ("threshold", "value") else np.int32) for k in t}
             for t in data["trees"]]
    return {**data, "trees": trees}


def judge(X: "np.ndarray", spec: dict | None = None) -> "np.ndarray":
    """The probability that each pair (a row of features) asks the same thing."""
    import numpy as np

    spec = spec or model()
    raw = np.full(len(X), float(spec["baseline"]))
    rows = np.arange(len(X))
    for tree in spec["trees"]:
        feature, threshold, left, right, value = (tree["feature"], tree["threshold"], tree["left"], tree["right"],
                                                  tree["value"])
        node = np.zeros(len(X), dtype=np.int32)
        live = left[node] >= 0
        while live.any():
            at = node[live]
            go_left = X[rows[live], feature[at]] <= threshold[at]
            node[live] = np.where(go_left, left[at], right[at])
            live = left[node] >= 0
        raw += value[node]
    return 1.0 / (1.0 + np.exp(-raw))


@dataclass
class Prepared:
    """A log in the form the judge reads: distinct queries as rows numbered by first appearance in time."""

    order: "np.ndarray"  # request positions in time order
    row_of: "np.ndarray"  # each request's row
    ts: "np.ndarray"  # each request's time
    exact: "np.ndarray"  # each request (in time order): an exact repeat within the TTL
    mat: "np.ndarray | None"  # unit vectors of the rows (the shipped model's); see vec_index
    norms: list[str]
    raws: list[str]
    idf: dict[str, float]
    window_start: "np.ndarray | None" = None  # per position: the first position of its window of RECENT queries
    window_recall: float | None = None  # the share of exact repeats whose last asking is inside that window
    window_exact: int = 0  # exact repeats that measured it
    blank: "np.ndarray | None" = None  # requests whose text normalises to nothing (only punctuation): not counted
    vec_index: "np.ndarray | None" = None  # row -> its vector's index in mat, when only some rows have one


def prepare(distinct: "Distinct", mat_by_row: "np.ndarray | None", ttl: float | None,
            vector_cache: Path | None = None) -> Prepared:
    """Rows by first appearance in time, each request's row and whether it is an exact repeat."""
    import numpy as np

    ts = np.frombuffer(distinct.ts, dtype=np.float64)
    ids = np.asarray(distinct.ids, dtype=np.int64)
    order = np.argsort(ts, kind="stable")
    seq = ids[order]
    tseq = ts[order]
    n_dist = len(distinct.norms)
    row = [-1] * n_dist
    firsts: list[int] = []
    exact = np.zeros(len(seq), dtype=bool)
    last = [-math.inf] * n_dist
    for lo in range(0, len(seq), _CHUNK):  # a piece at a time: no million-item lists
        flags = []
        for d, t in zip(seq[lo:lo + _CHUNK].tolist(), tseq[lo:lo + _CHUNK].tolist()):
            if row[d] < 0:
                row[d] = len(firsts)
                firsts.append(d)
                flags.append(False)
            else:
                flags.append(ttl is None or t - last[d] <= ttl)
            last[d] = t
        exact[lo:lo + len(flags)] = flags
    del last
    row_of = np.asarray(row, dtype=np.int64)[seq]
    del row
    norms = [distinct.norms[d] for d in firsts]
    raws = [distinct.examples[d] for d in firsts]
    idf = _idf(norms)
    mat = None if mat_by_row is None else np.ascontiguousarray(mat_by_row, dtype=np.float32)
    prep = Prepared(order, row_of, tseq, exact, mat, norms, raws, idf)
    if "" in norms:  # "?!" asked twice is not a need asked twice
        prep.blank = np.asarray([not n for n in norms], dtype=bool)[row_of]
        prep.exact &= ~prep.blank
    if len(norms) > RECENT:
        _window(prep)
    elif mat is None:  # a short log: every row is someone's candidate
        from . import embedding

        prep.mat = embedding.embed(norms, vector_cache)
    return prep


IDF_SAMPLE = 50_000  # distinct queries a long log's word rarity is counted on


def _idf(norms: list[str]) -> dict[str, float]:
    """How rare each word is in this log: log((N + 1) / (n + 0.5)) over its distinct queries (counted on a seeded
    sample of ``IDF_SAMPLE`` of them in a long log; a word the sample never met is rarer than any it did)."""
    import random

    nd = max(len(norms), 1)
    pool = norms if len(norms) <= IDF_SAMPLE else random.Random(0).sample(norms, IDF_SAMPLE)
    scale = nd / max(len(pool), 1)
    df = Counter(w for n in pool for w in set(n.split()))
    idf = _Rarity({w: math.log((nd + 1) / (c * scale + 0.5)) for w, c in df.items()})
    idf.unseen = math.log((nd + 1) / (0.5 * scale + 0.5))
    return idf


class _Rarity(dict):
    unseen = 0.0

    def __missing__(self, word: str) -> float:
        return self.unseen


def ensure_vectors(prep: Prepared, positions: "np.ndarray", vector_cache: Path | None = None) -> None:
    """Vectors for the rows the requests at ``positions`` are judged against: in a long log only those in
    their windows, so a million-line log embeds a few of its distinct queries, not all of them."""
    import numpy as np

    if prep.mat is not None:
        return
    from . import embedding

    covered = np.zeros(len(prep.row_of) + 1, dtype=np.int64)
    np.add.at(covered, prep.window_start[positions], 1)
    np.add.at(covered, positions + 1, -1)
    rows = np.unique(prep.row_of[np.nonzero(np.cumsum(covered)[:-1] > 0)[0]])
    prep.vec_index = np.full(len(prep.norms), -1, dtype=np.int64)
    prep.vec_index[rows] = np.arange(rows.size)
    prep.mat = embedding.embed([prep.norms[r] for r in rows.tolist()], vector_cache)


def _window(prep: Prepared) -> None:
    """Each position's window (the requests before it holding the ``RECENT`` most recently asked distinct
    queries), and how many exact repeats find their last asking inside it: the window's recall of repeats."""
    import numpy as np

    rows = prep.row_of
    n = len(rows)
    start = np.zeros(n, dtype=np.int64)
    inside = [0] * len(prep.norms)  # each row's requests in the window
    last = [-1] * len(prep.norms)
    exact = prep.exact
    distinct = lo = seen = exact_in = 0
    for base in range(0, n, _CHUNK):
        piece = rows[base:base + _CHUNK].tolist()
        flags = exact[base:base + _CHUNK].tolist()
        starts = []
        for k, r in enumerate(piece):
            pos = base + k
            while distinct > RECENT:  # the window before this request holds at most RECENT distinct queries
                old = int(rows[lo])
                inside[old] -= 1
                distinct -= not inside[old]
                lo += 1
            starts.append(lo)
            if flags[k]:
                seen += 1
                exact_in += last[r] >= lo
            distinct += not inside[r]
            inside[r] += 1
            last[r] = pos
        start[base:base + len(starts)] = starts
    prep.window_start = start
    prep.window_exact = seen
    prep.window_recall = exact_in / seen if seen >= MIN_RECALL_EXACT else None


def live_positions(prep: Prepared) -> "np.ndarray":
    """Positions (in time order) of the requests the judge must look at: all but the exact repeats."""
    import numpy as np

    return np.nonzero(~prep.exact if prep.blank is None else ~(prep.exact | prep.blank))[0]


def candidates(prep: Prepared, positions: "np.ndarray", ttl: float | None) -> dict:
    """For requests at ``positions`` (time order, ascending): their ``CANDIDATES`` most similar earlier
    queries (within the TTL, and among the ``RECENT`` most recently asked), with the cosine, the rank of
    each among the request's earlier neighbours, and that neighbourhood's density and background level."""
    import numpy as np

    mat = prep.mat
    n_rows = len(mat)
    windowed = prep.window_start is not None
    index = prep.vec_index if prep.vec_index is not None else np.arange(n_rows)
    n_rows = len(prep.norms)
    last_seen = np.full(n_rows, -np.inf)  # each row's latest time before the request (a short log with a TTL)
    swept = 0
    out: dict[str, list] = {k: [] for k in ("req", "cand", "cos", "rank", "density", "cand_rank", "background",
                                            "pool")}
    block = max(8, min(BLOCK, (1 << 24) // max(n_rows, 1)))  # a block's similarities stay under 64 MB
    seen_rows = np.maximum.accumulate(prep.row_of) + 1  # rows asked up to each position (numbered in time order)
    for lo in range(0, len(positions), block):
        pos = positions[lo:lo + block]
        rows = prep.row_of[pos]
        sims = None if windowed else mat[rows] @ mat[:int(seen_rows[pos[-1]])].T
        for r, p in enumerate(pos.tolist()):
            if windowed:  # the distinct queries of the requests in its window (and within the TTL)
                lo = int(prep.window_start[p])
                seg = prep.row_of[lo:p]
                if ttl is not None:
                    seg = seg[prep.ts[lo:p] >= prep.ts[p] - ttl]
                el = np.unique(seg)
                el = el[el != rows[r]]
                s = mat[index[el]] @ mat[index[rows[r]]]
            elif ttl is not None:  # queries asked within the TTL before this request
                while swept < p:
                    last_seen[prep.row_of[swept]] = prep.ts[swept]
                    swept += 1
                mask = last_seen >= prep.ts[p] - ttl
                mask[rows[r]] = False
                el = np.nonzero(mask)[0]
                s = sims[r, el]
            else:  # every earlier query: the rows before this one
                el = None
                s = sims[r, :rows[r]]
            if s.size == 0:
                continue
            k = min(NEIGHBOURHOOD, s.size)
            nb = -np.sort(-np.partition(s, s.size - k)[s.size - k:])  # the k most similar, most similar first
            kk = min(CANDIDATES, s.size)
            top = np.argpartition(-s, kk - 1)[:kk]
            top = top[np.argsort(-s[top], kind="stable")]
            cs = s[top]
            out["req"].append(np.full(kk, p))
            out["cand"].append(top if el is None else el[top])
            out["cos"].append(cs)
            out["rank"].append(np.searchsorted(-nb, -cs, side="left"))
            out["density"].append(np.full(kk, nb[:DENSITY_K].mean()))
            out["cand_rank"].append(np.arange(kk))
            out["background"].append(np.full(kk, nb[min(BACKGROUND_K, k) - 1]))
            out["pool"].append(np.full(kk, s.size))
    return {k: (np.concatenate(v) if v else np.empty(0, dtype=np.int64 if k in ("req", "cand") else np.float64))
            for k, v in out.items()}


_CAPITALISED = None


def _names(raw: str) -> frozenset[str]:
    """Capitalised words inside a sentence (not its first word, not "I"): names, roughly."""
    global _CAPITALISED
    if _CAPITALISED is None:
        import re

        _CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+|[A-Z]{2,})\b")
    skip = {"I", "OK", "Ok", "Hi", "Hello", "Please", "Thanks", "Can", "What", "How", "Why", "When", "Where", "Is"}
    return frozenset(m.lower() for m in _CAPITALISED.findall(raw) if m not in skip)


def features(prep: Prepared, cands: dict) -> tuple["np.ndarray", "np.ndarray"]:
    """The judge's features for each candidate pair, and whether the false-hit guard rules it out."""
    import numpy as np

    n = len(cands["req"])
    X = np.zeros((n, len(FEATURES)))
    guarded = np.zeros(n, dtype=bool)
    if n == 0:
        return X, guarded
    X[:, 0] = cands["cos"]
    X[:, 1] = np.log1p(cands["rank"])
    X[:, 2] = cands["density"]
    X[:, 3] = cands["cand_rank"]
    X[:, 4] = cands["cos"] - cands["background"]
    X[:, 5] = np.log1p(cands["pool"])
    rows_a = prep.row_of[cands["req"]]
    rows_b = cands["cand"]
    norms, raws, idf = prep.norms, prep.raws, prep.idf
    words = {}
    tris = {}
    idents = {}
    names = {}
    for r in set(rows_a.tolist()) | set(rows_b.tolist()):
        text = norms[r]
        words[r] = text.split()
        padded = f" {text} "
        tris[r] = {padded[i:i + 3] for i in range(len(padded) - 2)}
        idents[r] = needs.identifiers(raws[r], text)
        names[r] = _names(raws[r])
    vocab = sorted({w for ws in words.values() for w in ws})
    from . import embedding

    wid = {w: i for i, w in enumerate(vocab)}
    wvec = embedding.embed(vocab) if vocab else np.zeros((0, prep.mat.shape[1]), dtype=np.float32)
    for k, (a, b) in enumerate(zip(rows_a.tolist(), rows_b.tolist())):
        wa, wb = words[a], words[b]
        sa, sb = set(wa), set(wb)
        only_a, only_b = sa - sb, sb - sa
        both = sa & sb
        union = sa | sb
        ta, tb = tris[a], tris[b]
        X[k, 6] = len(ta & tb) / math.sqrt(max(len(ta) * len(tb), 1))
        X[k, 7] = len(both) / max(len(union), 1)
        X[k, 8] = sum(idf[w] for w in both) / max(sum(idf[w] for w in union), 1e-9)
        ua = _unaligned(only_a, wb, idf, wvec, wid)
        ub = _unaligned(only_b, wa, idf, wvec, wid)
        X[k, 9], X[k, 10] = max(ua, ub), min(ua, ub)
        la, lb = len(wa), len(wb)
        X[k, 11] = min(la, lb) / max(la, lb, 1)
        X[k, 12] = math.log1p(la + lb)
        ia, ib = idents[a], idents[b]
        X[k, 13] = float(bool(ia) != bool(ib))
        na, nb = names[a], names[b]
        X[k, 14] = float(bool(na) and bool(nb) and not (na & nb))
        X[k, 15] = float(bool(sa & NEGATIONS) != bool(sb & NEGATIONS))
        X[k, 16] = float(any(OPPOSITES.get(w, frozenset()) & only_b for w in only_a))
        X[k, 17] = max((idf[w] for w in only_a | only_b), default=0.0) / 8
        guarded[k] = needs.differ(ia, ib)
    return X, guarded


def _unaligned(only: set[str], other: list[str], idf: dict[str, float], wvec, wid) -> float:
    """How much of one query's own words has no counterpart in the other: the rarest word's (1 − its best
    cosine to the other's words) × its rarity."""
    if not only:
        return 0.0
    if not other:
        return max(idf[w] for w in only) / 8
    their = wvec[[wid[w] for w in other]]
    mine = wvec[[wid[w] for w in only]]
    best = (mine @ their.T).max(axis=1)
    return float(max((1 - b) * idf[w] for w, b in zip(only, best.tolist()))) / 8


def combine(req: "np.ndarray", p: "np.ndarray", positions: "np.ndarray", decay: float) -> "np.ndarray":
    """Each request's probability of being a repeat from its candidates' (``positions`` gives the order)."""
    import numpy as np

    out = np.zeros(len(positions))
    if len(req) == 0:
        return out
    index = np.searchsorted(positions, req)
    order = np.lexsort((-p, index))
    idx, ps = index[order], p[order]
    starts = np.searchsorted(idx, idx, side="left")
    weight = decay ** (np.arange(len(idx)) - starts)
    log_miss = np.zeros(len(positions))
    np.add.at(log_miss, idx, weight * np.log(np.clip(1 - ps, 1e-12, 1.0)))
    return 1 - np.exp(log_miss)


def expected_share(exact: int, judged_sum: float, live: int, judged: int, requests: int) -> float:
    """The repeat potential from its parts: exact repeats, plus the judged requests' probabilities scaled to
    every live request when the judged ones were a sample.

    (Scaling the paraphrases found in a window of recent queries up by the share of exact repeats found there
    was measured and rejected: the judge's over-counts on near-miss traffic grew with it, 22% became 88% on a
    12,000-line log of Quora questions.)"""
    if not requests:
        return 0.0
    return (exact + min(judged_sum * live / max(judged, 1), float(live))) / requests


def estimate(distinct: "Distinct", ttl: float | None = None, mat_by_row: "np.ndarray | None" = None,
             vector_cache: Path | None = None, seed: int = 0) -> RepeatEstimate:
    """The repeat potential of the log, with its interval."""
    import numpy as np

    spec = model()
    prep = prepare(distinct, mat_by_row, ttl, vector_cache)
    n = len(prep.order)
    live = live_positions(prep)
    exact_share = float(prep.exact.sum()) / n if n else 0.0
    sampled = len(live) > SAMPLE
    judged = live
    if sampled:
        rng = np.random.default_rng(seed)
        if prep.window_start is None:
            judged = np.sort(rng.choice(live, size=SAMPLE, replace=False))
        else:  # runs of consecutive requests spread through the log: their windows overlap, so few rows embed
            parts = np.array_split(live, SEGMENTS)
            run = SAMPLE // SEGMENTS
            judged = np.concatenate([part[(s := int(rng.integers(0, len(part) - run + 1))):s + run]
                                     for part in parts])
    ensure_vectors(prep, judged, vector_cache)
    cands = candidates(prep, judged, ttl)
    X, guarded = features(prep, cands)
    p = judge(X, spec) if len(X) else np.zeros(0)
    p[guarded] = 0.0
    probs = combine(cands["req"], p, judged, float(spec["decay"]))
    notes = []
    if prep.window_start is not None:
        seen = (f"; {prep.window_recall:.0%} of the {prep.window_exact:,} exact repeats find their last asking there"
                if prep.window_recall is not None else "")
        notes.append(f"Each request was judged against the {RECENT:,} distinct queries asked most recently before it"
                     f"{seen}: paraphrases of needs last asked further back are not counted, so the figure may be low.")
    blank = 0 if prep.blank is None else int(prep.blank.sum())
    if blank:
        notes.append(f"{blank:,} requests whose text is only punctuation or spacing were left out.")
    counted = n - blank
    potential = expected_share(int(prep.exact.sum()), float(probs.sum()), len(live), len(judged), counted)
    # The interval: the judge's error on sources it never saw, widened by the sample's own error, within what is
    # possible (the exact repeats at least; at most every request that had an earlier query to repeat).
    lo_err, hi_err = float(spec["loso_interval"][0]), float(spec["loso_interval"][1])
    sample_sd = float(np.std(probs)) * math.sqrt(max(1 - len(judged) / max(len(live), 1), 0) / max(len(judged), 1)) \
        * len(live) / max(counted, 1) if len(judged) else 0.0
    could = np.zeros(len(judged), dtype=bool)
    could[np.searchsorted(judged, cands["req"])] = True  # had at least one earlier query to repeat
    possible = expected_share(int(prep.exact.sum()), float(could.sum()), len(live), len(judged), counted)
    exact_share = float(prep.exact.sum()) / counted if counted else 0.0
    low = max(exact_share, min(potential, potential + lo_err - 1.28 * sample_sd))
    high = min(possible, max(potential, potential + hi_err + 1.28 * sample_sd))
    if sampled:
        how = ("a uniform sample" if prep.window_start is None else
               f"{SEGMENTS} runs of consecutive requests spread evenly through the log, in all")
        notes.append(f"The judge looked at {how} {len(judged):,} of the {len(live):,} requests that were not exact "
                     "repeats (the sampling error is in the interval).")
    return RepeatEstimate(float(potential), float(low), float(high), f"judge:{spec['name']}", exact_share,
                          int(len(judged)), sampled, counted, float(spec["loso_mean_abs_error_pp"]), tuple(notes))
