"""Replaying a query log through a simulated similarity cache.

Three similarity scales, never mixed:

* **vectors** from the learner's own embedding model (the log's ``embedding``
  field), when every query has one: cosine, the scale their cache is tuned on;
* **embedding** (the default): cosine between sentence embeddings of the
  normalised query text from the static model shipped with the package
  (``embedding.py``), at its calibrated threshold;
* **text**, only when the model cannot run: cosine over the sets of character
  3-grams. It sees shared spelling, not meaning, and errs both ways.

Vectors: every pair is compared exactly up to ``EXACT_LIMIT`` distinct queries;
beyond, sorted random-hyperplane sketches propose pairs and the exact cosine
decides. Text: MinHash LSH proposes, the exact cosine decides. Either way no
pair below a threshold is ever accepted, and some above it may be missed. A log
with more than ``REPLAY_DISTINCT_LIMIT`` distinct queries replays its latest
window (half warm-up, half counted). The similarity of each query to its most
similar earlier query (the 0–30% / 30–70% split) is computed exhaustively, on a
uniform sample when the log is large.
"""

from __future__ import annotations

import math
import random
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .queries import Distinct, Replay

if TYPE_CHECKING:
    from scipy import sparse


THRESHOLDS = (0.80, 0.85, 0.90, 0.95)
DEFAULT_THRESHOLD = {"vectors": 0.85, "text": 0.80}
NEIGHBOUR_FLOOR = min(THRESHOLDS)  # every pair at or above this is found exactly, for the replay
MAX_NEIGHBOURS = 64  # per query, the most similar kept for the replay
SAMPLE_LIMIT = 4000  # first occurrences whose best earlier match is computed exactly
SAMPLE_BUDGET = 15_000_000  # posting entries read for that before settling for a smaller sample
MIN_SAMPLE = 500
EARLIER_WINDOW = 20_000  # "earlier" for the distribution: the distinct queries just before
LSH_BANDS, LSH_ROWS = 20, 4  # MinHash LSH for the text scale: recall >= 97.5% at the 0.80 floor
LSH_PER_BUCKET = 4
LSH_MIN_ESTIMATE = 0.5
_COL_BITS = 24
_COLS = 1 << _COL_BITS
_MIX = np.uint64(0x9E3779B97F4A7C15)
EXACT_LIMIT = 20_000  # distinct vectors compared all-against-all; more go through sketches
REPLAY_DISTINCT_LIMIT = 60_000  # past this many distinct queries, the latest of the log are replayed
ANN_TABLES, ANN_WINDOW = 32, 16
MAX_PROPOSED = 16_000_000  # proposed pairs remembered to avoid verifying one twice (128 MB)
MAX_HELD_PAIRS = 8_000_000  # verified pairs held before each row is cut to its most similar

def trigrams(norm: str) -> set[str]:
    padded = f" {norm} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def set_cosine(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting: numpy 2's hash-based unique is several times slower on int64 keys."""
    values = np.sort(values)
    if values.size == 0:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def trigram_matrix(norms: list[str]) -> "sparse.csr_matrix":
    """A binary matrix: one row per query, one column per character 3-gram (hashed into 2**24, then numbered).

    Built with array operations in chunks, so that a million queries stay within memory.
    Hashing the 3-grams into 16 million columns merges a pair of distinct 3-grams about
    once in a few hundred thousand: far below anything the figures show.
    """
    from scipy import sparse

    n = len(norms)
    indptr = [np.zeros(1, dtype=np.int64)]
    indices = []
    total_nnz = 0
    for lo in range(0, n, 20_000):
        part = [f" {x} " for x in norms[lo:lo + 20_000]]
        m = len(part)
        lens = np.fromiter(map(len, part), dtype=np.int64, count=m)
        codes = np.frombuffer("".join(part).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        counts = np.maximum(lens - 2, 0)
        if codes.size >= 3:
            tri = (codes[:-2] << np.uint64(42)) | (codes[1:-1] << np.uint64(21)) | codes[2:]
        else:
            tri = np.empty(0, dtype=np.uint64)
        starts = np.cumsum(lens) - lens
        firsts = np.cumsum(counts) - counts
        pos = np.repeat(starts - firsts, counts) + np.arange(int(counts.sum()), dtype=np.int64)
        rows = np.repeat(np.arange(m, dtype=np.int64), counts)
        cols = ((tri[pos] * _MIX) >> np.uint64(64 - _COL_BITS)).astype(np.int64)
        key = _sorted_unique(rows * _COLS + cols)
        row_of = key // _COLS
        indices.append((key % _COLS).astype(np.int32))
        indptr.append(np.searchsorted(row_of, np.arange(1, m + 1), side="left") + total_nnz)
        total_nnz += key.size
    data_indices = np.concatenate(indices) if indices else np.empty(0, dtype=np.int32)
    full_indptr = np.concatenate(indptr)
    # Number the 3-grams that occur 0..V-1: sparse products and transposes stay small.
    if data_indices.size < 1 << 22:  # small: sorting beats sweeping all 2**24 columns
        seen = _sorted_unique(data_indices)
        compact = np.searchsorted(seen, data_indices).astype(np.int32)
        vocab = max(int(seen.size), 1)
    else:
        used = np.zeros(_COLS, dtype=bool)
        used[data_indices] = True
        compact = (np.cumsum(used, dtype=np.int32) - 1)[data_indices]
        vocab = max(int(used.sum()), 1)
    return sparse.csr_matrix((np.ones(compact.size, dtype=np.float32), compact, full_indptr), shape=(n, vocab))


def _minhash(matrix, k: int, seed: int) -> np.ndarray:
    """MinHash signatures (n x k) of the rows' sets, by multiply-shift hashing, in chunks."""
    n, vocab = matrix.shape
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=k, dtype=np.uint64) | np.uint64(1)
    c = rng.integers(0, 2**63, size=k, dtype=np.uint64)
    cols = np.arange(vocab, dtype=np.uint64)[:, None]
    table = ((cols * a[None, :] + c[None, :]) >> np.uint64(32)).astype(np.uint32)  # vocab x k
    indptr = matrix.indptr.astype(np.int64)
    lengths = np.diff(indptr)
    # An empty row gets a signature no other row can share.
    sig = np.empty((n, k), dtype=np.uint32)
    sig[:] = np.uint32(0xFFFFFFFF)
    empty = np.nonzero(lengths == 0)[0]
    sig[empty] = (np.uint32(0x80000000) + (empty % 0x7FFFFFFF).astype(np.uint32))[:, None]
    chunk = 2048
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        rows = np.arange(lo, hi)[lengths[lo:hi] > 0]
        if rows.size == 0:
            continue
        first, last = int(indptr[lo]), int(indptr[hi])
        hashed = table[matrix.indices[first:last]]
        sig[rows] = np.minimum.reduceat(hashed, indptr[rows] - first, axis=0)
    return sig


def _candidates(sig: np.ndarray, bands: int, rows: int, per_bucket: int, min_estimate: float) -> np.ndarray:
    """Pairs (i < j) worth verifying, as codes i * n + j, sorted and without repeats.

    A pair is proposed when the two share an LSH band (within a bucket each member is paired
    with the ``per_bucket`` members before it: a big bucket is a cluster of near-duplicates, and
    the replay needs a neighbour, not all of them), and kept when the signatures' estimate of its
    Jaccard similarity reaches ``min_estimate``. Filtering band by band keeps memory flat.
    """
    n = sig.shape[0]
    mix = np.random.default_rng(1).integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    kept = np.empty(0, dtype=np.int64)
    for b in range(bands):
        keys = (sig[:, b * rows:(b + 1) * rows].astype(np.uint64) * mix).sum(axis=1)  # wraps mod 2**64
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        del keys
        proposed = []
        for lag in range(1, per_bucket + 1):
            same = np.nonzero(sorted_keys[lag:] == sorted_keys[:-lag])[0]
            if same.size == 0:
                break
            i, j = order[same], order[same + lag]
            proposed.append(np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j))
        if not proposed:
            continue
        # Similar pairs meet in many bands: estimate each pair once.
        codes = _sorted_unique(np.concatenate(proposed))
        del proposed
        if kept.size:
            at = np.minimum(np.searchsorted(kept, codes), kept.size - 1)
            codes = codes[kept[at] != codes]
        good = np.zeros(codes.size, dtype=bool)
        for lo in range(0, codes.size, 250_000):
            part = codes[lo:lo + 250_000]
            good[lo:lo + 250_000] = (sig[part // n] == sig[part % n]).mean(axis=1) >= min_estimate
        if good.any():
            kept = np.sort(np.concatenate([kept, codes[good]]), kind="stable")  # two sorted runs: a merge
    return kept


Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]  # rows x, rows y, cosine: one entry per pair


def _neighbours_text(matrix, floor: float, seed: int = 0) -> Pairs:
    """Pairs with set-cosine >= floor: MinHash LSH proposes, the exact cosine decides.

    A pair with cosine >= 0.80 has Jaccard >= 0.64; with 20 bands of 4 rows such a pair is
    proposed with probability >= 97.5% (>= 99.9% from Jaccard 0.8), and every proposed pair
    is verified exactly, so no pair below the floor is ever accepted.
    """
    n = matrix.shape[0]
    empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))
    if n < 2:
        return empty
    sig = _minhash(matrix, LSH_BANDS * LSH_ROWS, seed)
    # The signatures also estimate each pair's Jaccard: pairs far below the floor's are dropped
    # (cosine 0.80 implies Jaccard >= 0.64; the estimate's spread over 80 hashes is about 0.05).
    pairs = _candidates(sig, LSH_BANDS, LSH_ROWS, LSH_PER_BUCKET, LSH_MIN_ESTIMATE)
    del sig
    if pairs.size == 0:
        return empty
    lengths = np.diff(matrix.indptr).astype(np.float64)
    xs, ys, ss = [], [], []
    for lo in range(0, pairs.size, 200_000):
        part = pairs[lo:lo + 200_000]
        i, j = part // n, part % n
        overlap = np.asarray(matrix[i].multiply(matrix[j]).sum(axis=1)).ravel()
        with np.errstate(divide="ignore", invalid="ignore"):
            sims = overlap / np.sqrt(lengths[i] * lengths[j])
        keep = sims >= floor - 1e-9
        xs.append(i[keep])
        ys.append(j[keep])
        ss.append(sims[keep].astype(np.float32))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)


def _best_earlier_text(matrix, sample: list[int], window: int, budget: int) -> list[float]:
    """For each sampled row (ascending), its best set-cosine against the ``window`` rows before it.

    Rows are in time order. The overlaps come from sparse products, a block of sampled rows at a
    time; it stops early once ``budget`` overlaps have been computed, having done at least
    ``MIN_SAMPLE`` rows.
    """
    lengths = np.maximum(np.diff(matrix.indptr), 1).astype(np.float64)
    out: list[float] = []
    spent = 0
    block = 256
    for start in range(0, len(sample), block):
        if spent > budget and len(out) >= MIN_SAMPLE:
            break
        rows = np.asarray(sample[start:start + block], dtype=np.int64)
        lo, hi = max(0, int(rows[0]) - window), int(rows[-1])
        best = np.zeros(rows.size)
        if hi > lo:
            overlaps = (matrix[rows] @ matrix[lo:hi].T).tocoo()
            spent += overlaps.nnz
            earlier = lo + overlaps.col.astype(np.int64)
            x = rows[overlaps.row]
            keep = (earlier < x) & (earlier >= x - window)
            sims = overlaps.data[keep] / np.sqrt(lengths[x[keep]] * lengths[earlier[keep]])
            np.maximum.at(best, overlaps.row[keep], sims)
        out.extend(best.tolist())
    return out


def _unit(vectors) -> np.ndarray:
    mat = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    return mat / np.where(norms == 0, 1, norms)


def _neighbours_exact(mat: np.ndarray, floor: float) -> tuple[Pairs, list[float]]:
    """Each row's most similar earlier rows with cosine >= floor (up to ``MAX_NEIGHBOURS``), exactly; and each
    row's best cosine with a row before it."""
    n = len(mat)
    mat = np.asarray(mat, dtype=np.float32)
    best = [0.0] * n
    xs, ys, ss = [], [], []
    block = 1024
    for start in range(0, n, block):
        stop = min(n, start + block)
        sims = mat[start:stop] @ mat[:stop].T  # each new row against every row up to it
        rows = np.arange(start, stop)
        sims[np.arange(stop - start)[:, None] + start <= np.arange(stop)[None, :]] = -1.0  # only earlier rows
        if stop > 1:
            best[start:stop] = np.maximum(sims.max(axis=1), 0.0).tolist()
        # Each row's most similar earlier rows above the floor, at most MAX_NEIGHBOURS (the replay looks no
        # further): a low floor (a learner's threshold of 0.5) then costs no more memory than a high one.
        k = min(MAX_NEIGHBOURS, stop)
        near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(sims, near, axis=1)
        r, j = np.nonzero(vals >= floor)
        xs.append(rows[r])
        ys.append(near[r, j].astype(np.int64))
        ss.append(vals[r, j].astype(np.float32))
    best[0] = 0.0
    return (np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)), best


def _sketch(mat: np.ndarray, centre: np.ndarray, bits: int, rng) -> np.ndarray:
    """Random-hyperplane signs of the centred rows, packed into uint64 words (n x bits/64)."""
    planes = rng.standard_normal((mat.shape[1], bits)).astype(np.float32)
    shift = centre @ planes  # (x - c) . p = x . p - c . p: no centred copy of the rows
    out = np.empty((len(mat), bits // 64), dtype=np.uint64)
    weights = (np.uint64(1) << np.arange(64, dtype=np.uint64))
    for lo in range(0, len(mat), 65_536):
        signs = (mat[lo:lo + 65_536] @ planes) > shift
        out[lo:lo + 65_536] = (signs.reshape(len(signs), bits // 64, 64).astype(np.uint64) * weights).sum(axis=2)
    return out


def _neighbours_ann(mat: np.ndarray, floor: float, seed: int = 0) -> Pairs:
    """Pairs with cosine >= floor among many rows: sorted random-hyperplane sketches propose, the exact
    cosine decides.

    Each of ``ANN_TABLES`` tables sorts the rows by a 32-bit sketch of fresh hyperplanes (through the
    rows' centroid: a static model's vectors share a common direction) and pairs every row with the
    ``ANN_WINDOW`` rows after it. A 128-bit sketch estimates each proposed pair's angle; pairs far
    below the floor are dropped, and the rest are verified with the exact cosine, so no pair below the
    floor is ever accepted. ``benchmarks/querylog.py`` measures the replay's gap to the exact search.
    """
    n = len(mat)
    rng = np.random.default_rng(seed)
    centre = mat[: min(n, 100_000)].mean(axis=0)
    est = _sketch(mat, centre, 128, rng)
    # The centred angle of a pair at the floor is wider than its raw angle: filter generously.
    min_agree = 0.62
    max_differ = int((1 - min_agree) * 128)
    kept = np.empty(0, dtype=np.int64)
    xs, ys, ss = [], [], []
    held = 0
    for _ in range(ANN_TABLES):
        keys = _sketch(mat, centre, 64, rng)[:, 0] >> np.uint64(32)
        order = np.argsort(keys, kind="stable")
        del keys
        codes = []
        for lag in range(1, ANN_WINDOW + 1):
            i, j = order[:-lag], order[lag:]
            differ = np.bitwise_count(est[i, 0] ^ est[j, 0]) + np.bitwise_count(est[i, 1] ^ est[j, 1])
            good = differ <= max_differ
            a, b = i[good], j[good]
            codes.append(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
        new = _sorted_unique(np.concatenate(codes))
        del codes
        if kept.size:  # only pairs no earlier table proposed are verified
            at = np.minimum(np.searchsorted(kept, new), kept.size - 1)
            new = new[kept[at] != new]
        if new.size == 0:
            continue
        if kept.size + new.size <= MAX_PROPOSED:  # past this, memory wins: a pair may be verified twice
            kept = np.sort(np.concatenate([kept, new]), kind="stable")
        for lo in range(0, new.size, 32_768):  # two gathers of 32k rows: 64 MB
            part = new[lo:lo + 32_768]
            i, j = part // n, part % n
            sims = np.einsum("ij,ij->i", mat[i], mat[j])
            keep = sims >= floor - 1e-6
            xs.append(i[keep])
            ys.append(j[keep])
            ss.append(sims[keep].astype(np.float32))
            held += int(keep.sum())
        if held > MAX_HELD_PAIRS:  # dense clusters: keep each row's most similar, as the replay does
            pairs = _cap_pairs((np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)), n)
            xs, ys, ss = [pairs[0]], [pairs[1]], [pairs[2]]
            held = pairs[0].size
    if not xs:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    return _cap_pairs((np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)), n)


def _cap_pairs(pairs: Pairs, n: int, cap: int = MAX_NEIGHBOURS) -> Pairs:
    """Unique pairs, keeping a pair only while it is among the ``cap`` most similar of one of its rows:
    the replay never looks further (``neighbour_table``), so nothing it uses is lost."""
    x, y, s = pairs
    codes = np.minimum(x, y).astype(np.int64) * n + np.maximum(x, y)
    codes, first = np.unique(codes, return_index=True)
    s = s[first]
    a, b = codes // n, codes % n
    src = np.concatenate([a, b])
    sim = np.concatenate([s, s])
    idx = np.concatenate([np.arange(codes.size), np.arange(codes.size)])
    order = np.lexsort((-sim, src))
    src, idx = src[order], idx[order]
    starts = np.searchsorted(src, np.arange(n))
    rank = np.arange(src.size) - starts[src]
    keep = np.zeros(codes.size, dtype=bool)
    keep[idx[rank < cap]] = True
    return a[keep], b[keep], s[keep]


def _best_earlier_dense(mat: np.ndarray, sample: list[int], window: int) -> list[float]:
    """For each sampled row, its best cosine against the ``window`` rows before it, exactly."""
    out: list[float] = []
    for start in range(0, len(sample), 256):
        rows = np.asarray(sample[start:start + 256], dtype=np.int64)
        lo, hi = max(0, int(rows[0]) - window), int(rows[-1])
        if hi <= lo:
            out.extend([0.0] * rows.size)
            continue
        sims = mat[rows] @ mat[lo:hi].T
        earlier = np.arange(lo, hi)[None, :]
        sims[(earlier >= rows[:, None]) | (earlier < rows[:, None] - window)] = 0.0
        out.extend(np.maximum(sims.max(axis=1), 0.0).tolist())
    return out


@dataclass
class Neighbours:
    """Each distinct query's neighbours, most similar first: ``idx[ptr[d]:ptr[d + 1]]``."""

    ptr: array
    idx: array
    sim: array


def neighbour_table(n: int, pairs: Pairs, row_to_id: np.ndarray, cap: int = MAX_NEIGHBOURS) -> Neighbours:
    """Both directions of every pair, in distinct-id space, sorted by similarity, ``cap`` per query."""
    x, y, s = pairs
    src = np.concatenate([row_to_id[x], row_to_id[y]])
    dst = np.concatenate([row_to_id[y], row_to_id[x]])
    sim = np.concatenate([s, s])
    order = np.lexsort((-sim, src))
    src, dst, sim = src[order], dst[order], sim[order]
    starts = np.searchsorted(src, np.arange(n))
    rank = np.arange(src.size) - starts[src] if src.size else np.empty(0, dtype=np.int64)
    keep = rank < cap
    src, dst, sim = src[keep], dst[keep], sim[keep]
    ptr = np.concatenate(([0], np.cumsum(np.bincount(src, minlength=n))))
    return Neighbours(array("q", ptr.astype(np.int64).tobytes()), array("i", dst.astype(np.int32).tobytes()),
                      array("f", sim.astype(np.float32).tobytes()))


def _simulate(ts: array, ids: array, order: list[int], nb: Neighbours, threshold: float, ttl: float | None,
              counted_from: int = 0, false_hit=None) -> tuple[int, int, int]:
    """Requests a similarity cache at ``threshold`` would have answered, replayed in time order; how many of
    them by similarity (not the same text); and how many of those came from an entry that names different
    values (``false_hit(d, e)``: another order, amount or city; see ``needs.differ``), so are likely wrong.

    An entry is written when a request is not answered, and lives ``ttl`` seconds. Requests before
    position ``counted_from`` only warm the cache: they are not counted.
    """
    stored: dict[int, float] = {}
    answered = wrong = similar = 0
    ptr, idx, sims = nb.ptr, nb.idx, nb.sim
    threshold32 = float(np.float32(threshold)) - 1e-6  # similarities are stored as float32
    for pos, i in enumerate(order):
        if pos == counted_from:
            answered = wrong = similar = 0
        t, d = ts[i], ids[i]
        at = stored.get(d)
        if at is not None and (ttl is None or t - at <= ttl):
            answered += 1
            continue
        hit = -1
        for k in range(ptr[d], ptr[d + 1]):
            if sims[k] < threshold32:
                break  # most similar first: the rest are below the threshold too
            at = stored.get(idx[k])
            if at is not None and (ttl is None or t - at <= ttl):
                hit = idx[k]
                break
        if hit >= 0:
            answered += 1
            similar += 1
            if false_hit is not None and false_hit(d, hit):
                wrong += 1
        else:
            stored[d] = t
    return answered, wrong, similar


def _mode(distinct: Distinct, notes: list[str]) -> tuple[str, float]:
    """Which similarity the replay uses, and its default threshold: the learner's own vectors, the
    shipped embedding model, or (when that cannot run) the 3-gram text similarity."""
    if distinct.vectors and len(distinct.vectors) == len(distinct.norms):
        return "vectors", DEFAULT_THRESHOLD["vectors"]
    from . import embedding

    why = embedding.unavailable()
    if why is None:
        return "embedding", embedding.DEFAULT_THRESHOLD
    notes.append(f"The embedding model could not run ({why}): the built-in text similarity was used instead.")
    return "text", DEFAULT_THRESHOLD["text"]


def _window(distinct: Distinct, limit: int) -> tuple[Distinct, int]:
    """The latest requests of the log that hold at most ``limit`` distinct queries, as a log of their own,
    and how many of its first requests (half of them) only warm the cache."""
    ts = np.frombuffer(distinct.ts, dtype=np.float64)
    order = np.argsort(ts, kind="stable")
    ids = np.frombuffer(distinct.ids, dtype=np.int64)[order] if distinct.ids.itemsize == 8 else \
        np.asarray(distinct.ids, dtype=np.int64)[order]
    seen: set[int] = set()
    start = len(order)
    while start > 0:
        d = int(ids[start - 1])
        if d not in seen:
            if len(seen) >= limit:
                break
            seen.add(d)
        start -= 1
    sub = Distinct()
    remap: dict[int, int] = {}
    for i in order[start:].tolist():
        d = distinct.ids[i]
        nd = remap.get(d)
        if nd is None:
            nd = remap[d] = len(sub.norms)
            sub.norms.append(distinct.norms[d])
            sub.examples.append(distinct.examples[d])
            sub.counts.append(0)
            if distinct.vectors:
                sub.vectors.append(distinct.vectors[d])
        sub.counts[nd] += 1
        sub.ts.append(distinct.ts[i])
        sub.ids.append(nd)
        sub.miss.append(distinct.miss[i])
    return sub, len(sub.ids) // 2


def replay(distinct: Distinct, ttl_s: float | None = None, seed: int = 0,
           vector_cache: Path | None = None, threshold: float | None = None) -> Replay:
    """The log replayed through a simulated similarity cache (at ``THRESHOLDS``, the default and the
    learner's own ``threshold``), and its repeat potential (``repeat.estimate``) over every request."""
    notes: list[str] = []
    warm = 0
    full = distinct
    if threshold is not None:
        threshold = round(threshold, 2)  # thresholds are named to two decimals: 0.852 would collide with 0.85  # the estimate's: every request, not only a replayed window
    if len(distinct.norms) > REPLAY_DISTINCT_LIMIT:
        whole, whole_dist = len(distinct.ids), len(distinct.norms)
        distinct, warm = _window(distinct, REPLAY_DISTINCT_LIMIT)
        notes.append(f"The log has {whole_dist:,} distinct queries, more than the {REPLAY_DISTINCT_LIMIT:,} replayed "
                     f"here: its latest {len(distinct.ids):,} requests (of {whole:,}) were replayed, the first "
                     f"{warm:,} of them only to fill the cache, and the figures count the {len(distinct.ids) - warm:,} "
                     "after them.")
    n_req, n_dist = len(distinct.ids), len(distinct.norms)
    order = np.argsort(np.frombuffer(distinct.ts, dtype=np.float64), kind="stable")
    # Distinct ids are numbered by first appearance in the file; rows below are by first
    # appearance in time, so that "earlier" is "a smaller row".
    seen = np.zeros(n_dist, dtype=bool)
    repeats = 0
    firsts: list[int] = []
    for pos, i in enumerate(order.tolist()):
        d = distinct.ids[i]
        if seen[d]:
            repeats += pos >= warm
        else:
            seen[d] = True
            firsts.append(d)

    mode, default = _mode(distinct, notes)
    if mode == "text":
        matrix = trigram_matrix([distinct.norms[d] for d in firsts])
        pairs = _neighbours_text(matrix, NEIGHBOUR_FLOOR, seed)
        best = None
    else:
        if mode == "vectors":
            mat = _unit(np.vstack([distinct.vectors[d] for d in firsts]))
        else:
            from . import embedding

            mat = embedding.embed([distinct.norms[d] for d in firsts], vector_cache)
        floor = min(NEIGHBOUR_FLOOR, default, threshold or 1.0)
        if len(firsts) <= EXACT_LIMIT:
            pairs, best = _neighbours_exact(mat, floor)
        else:
            pairs, best = _neighbours_ann(mat, floor, seed), None
            notes.append(f"{len(firsts):,} distinct queries: similar pairs were found with random-hyperplane "
                         "sketches and verified exactly (see the data-formats page for the measured recall).")
    neighbours = neighbour_table(n_dist, pairs, np.asarray(firsts, dtype=np.int64))
    del pairs

    sequence = order.tolist()
    counted = n_req - warm
    from . import needs

    named: dict[int, frozenset[str]] = {}  # each distinct query's values, read once

    def values(d: int) -> frozenset[str]:
        got = named.get(d)
        if got is None:
            got = named[d] = needs.identifiers(distinct.examples[d], distinct.norms[d])
        return got

    def false_hit(d: int, e: int) -> bool:
        return needs.differ(values(d), values(e))

    levels = {*THRESHOLDS, default}
    if threshold is not None and mode != "text":
        levels.add(threshold)
    elif threshold is not None:
        notes.append(f"Your threshold ({threshold:.2f}) was not replayed: it is a cosine on an embedding model's "
                     "scale, and the fallback text similarity has another.")
    answered, false_hits, similar_hits = {}, {}, {}
    for t in sorted(levels):
        hits, wrong, similar = _simulate(distinct.ts, distinct.ids, sequence, neighbours, t, ttl_s, warm, false_hit)
        answered[t] = hits / counted
        false_hits[t] = wrong / similar if similar else 0.0  # of the answers by similarity: the semantic layer's
        similar_hits[t] = similar
    # Each request's similarity to its most similar earlier request: 1.0 for a repeat.
    pool = list(range(n_dist))
    if n_dist > SAMPLE_LIMIT:
        pool = sorted(random.Random(seed).sample(pool, SAMPLE_LIMIT))
    if best is not None:
        scores = [best[r] for r in pool]
    elif mode != "text":
        scores = _best_earlier_dense(mat, pool, EARLIER_WINDOW)
    else:
        scores = _best_earlier_text(matrix, pool, EARLIER_WINDOW, SAMPLE_BUDGET)
    if best is None and n_dist > EARLIER_WINDOW:
        notes.append(f"For the similarity distribution, each query was compared with the "
                     f"{EARLIER_WINDOW:,} distinct queries before it.")
    measured = len(scores)
    shares = [sum(1 for s in scores if s < 0.30) / measured,
              sum(1 for s in scores if 0.30 <= s < 0.70) / measured,
              sum(1 for s in scores if s >= 0.70) / measured] if measured else [0.0, 0.0, 0.0]
    firsts_share = 1 - repeats / counted
    buckets = {"0-30%": shares[0] * firsts_share, "30-70%": shares[1] * firsts_share,
               "70-100%": shares[2] * firsts_share + repeats / counted}
    sampled = measured if measured < n_dist else None
    top = sorted(range(n_dist), key=lambda d: (-distinct.counts[d], d))[:5]
    groups = [(distinct.examples[d], distinct.counts[d]) for d in top if distinct.counts[d] > 1]
    del neighbours, best, scores  # the replay's structures go before the estimate builds its own
    estimate = None
    if mode != "text":
        from . import repeat

        # Every request takes part, not only the replayed window; the shipped model's vectors are the
        # judge's scale (the learner's own, in the log, are what their cache answers on).
        same = mat if full is distinct and mode == "embedding" else None
        del mat
        estimate = repeat.estimate(full, ttl_s, same, vector_cache, seed)
    diversity = 1 - (estimate.potential if estimate is not None else answered[default])
    return Replay(mode, counted, n_dist, repeats / counted, answered, default, diversity, buckets,
                  sampled, ttl_s, groups, notes, false_hits, threshold, estimate, similar_hits)
