"""One pass over the learner's query log: layer counts, costs, and the queries for the replay.

Cost model per request (``cost_usd`` on a record wins where present):

    layer that answered   pays
    none                  embedding + retrieval + LLM   (the full pipeline)
    embedding             retrieval + LLM
    context               LLM
    semantic              embedding (the lookup needs the query's vector)
    response              nothing

The no-cache baseline pays the full pipeline for every request. Where a
request lacks the tokens to price a part, that part is costed at the mean of
the requests that have them, and the result says how many were estimated.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .prices import PriceBook, unknown_model_error
from .querylog import BY_LAYER, LAYERS, ReadStats, read
from .queries import Distinct, Replay

TOO_MANY_BAD = 0.5  # more bad lines than this share makes the log unusable


@dataclass
class Traffic:
    path: Path
    stats: ReadStats
    first_ts: float | None = None
    last_ts: float | None = None
    layers: dict[str, int] = field(default_factory=lambda: {k: 0 for k in LAYERS})
    unlayered: int = 0
    # Costs, summed; the *_unknown counters are requests whose part could not be priced from the record.
    baseline: float = 0.0
    actual: float = 0.0
    llm_known_sum: float = 0.0
    llm_known: int = 0
    llm_unknown_full: int = 0  # requests missing LLM tokens, in the baseline
    llm_unknown_paid: int = 0  # ... of which the actual cost also pays the LLM (no cost_usd)
    emb_known_sum: float = 0.0
    emb_known: int = 0
    emb_unknown_full: int = 0
    emb_unknown_paid: int = 0
    recorded_cost: int = 0  # requests with cost_usd
    miss_cost_sum: float = 0.0
    miss_llm_unknown: int = 0
    miss_emb_unknown: int = 0
    unknown_models: dict[str, int] = field(default_factory=dict)
    queries: Distinct = field(default_factory=Distinct)
    prices: PriceBook = field(default_factory=PriceBook)
    price_error: tuple[str, str] | None = None  # prices.json unusable: (message, hint) for the cost check
    _replay: Replay | None = None

    @property
    def layered(self) -> int:
        return sum(self.layers.values())

    @property
    def span_days(self) -> float:
        if self.first_ts is None or self.last_ts is None:
            return 0.0
        return (self.last_ts - self.first_ts) / 86400

    @property
    def days(self) -> float:
        """The period the per-day figures divide by: the log's span, at least one hour."""
        return max(self.span_days, 1 / 24)

    def layer_rates(self) -> dict[str, float]:
        total = self.layered
        return {k: (v / total if total else 0.0) for k, v in self.layers.items()}

    @property
    def hit_rate(self) -> float | None:
        return None if not self.layered else 1 - self.layers["none"] / self.layered

    def costs(self) -> dict[str, float] | None:
        """Baseline and actual cost over the log, with estimated parts filled in."""
        if not self.layered:
            return None
        llm_mean = self.llm_known_sum / self.llm_known if self.llm_known else None
        emb_mean = self.emb_known_sum / self.emb_known if self.emb_known else 0.0
        if llm_mean is None and self.llm_unknown_full and self.recorded_cost < self.layered:
            return None  # nothing to price the LLM with
        llm_mean = llm_mean or 0.0
        baseline = self.baseline + llm_mean * self.llm_unknown_full + emb_mean * self.emb_unknown_full
        actual = self.actual + llm_mean * self.llm_unknown_paid + emb_mean * self.emb_unknown_paid
        misses = self.layers["none"]
        miss_total = self.miss_cost_sum + llm_mean * self.miss_llm_unknown + emb_mean * self.miss_emb_unknown
        return {"baseline": baseline, "actual": actual, "llm_mean": llm_mean, "emb_mean": emb_mean,
                "cost_per_miss": miss_total / misses if misses else None,
                "estimated": self.llm_unknown_full + self.emb_unknown_full}

    def replay(self, ttl_s: float | None = None, vector_cache: Path | None = None) -> Replay:
        if self._replay is None or self._replay.ttl_s != ttl_s:
            from .similarity import replay  # numpy and scipy: only when a replay is computed

            self._replay = replay(self.queries, ttl_s, vector_cache=vector_cache)
        return self._replay


def _price(prices: PriceBook, model: str | None, tin: int | None, tout: int | None,
           unknown: dict[str, int], ts: float | None = None, cached: int | None = None) -> float | None:
    if model is None or tin is None:
        return None
    rate = prices.rate(model, ts)
    if rate is None:
        unknown[model] = unknown.get(model, 0) + 1
        return None
    if not cached and rate.cached_input_per_token is None:
        return tin * rate.input_per_token + (tout or 0) * rate.output_per_token
    return rate.price(tin, tout or 0, cached or 0)


def analyse(path: Path, prices: PriceBook) -> Traffic:
    """Read the log once and accumulate everything the checks need."""
    stats = ReadStats()
    t = Traffic(path, stats, prices=prices)
    retrieval = prices.retrieval_usd_per_query
    layers = t.layers
    unknown = t.unknown_models
    q = t.queries
    seen_raw, q_counts, q_ts, q_ids, q_miss = q.raw, q.counts, q.ts, q.ids, q.miss
    first_ts = last_ts = None
    unlayered = 0
    # Sums and counters as locals in the loop (attribute updates cost more than the arithmetic).
    llm_known_sum = emb_known_sum = baseline = actual_sum = miss_cost_sum = 0.0
    llm_known = emb_known = llm_unknown_full = emb_unknown_full = llm_unknown_paid = emb_unknown_paid = 0
    recorded_cost = miss_llm_unknown = miss_emb_unknown = 0
    for rec in read(path, stats):
        ts = rec.ts
        if first_ts is None or ts < first_ts:
            first_ts = ts
        if last_ts is None or ts > last_ts:
            last_ts = ts
        layer = rec.cache_layer
        query = rec.query
        if query:
            did = seen_raw.get(query)
            if did is not None and rec.embedding is None:  # a spelling seen before: Distinct.add's fast path
                q_counts[did] += 1
                q_ts.append(ts)
                q_ids.append(did)
                q_miss.append(1 if layer == "none" else 0)
            else:
                q.add(ts, query, rec.embedding, layer == "none")
        if layer is None:
            unlayered += 1
            continue
        layers[layer] += 1
        llm = _price(prices, rec.model, rec.input_tokens, rec.output_tokens, unknown, ts, rec.cached_input_tokens)
        emb = _price(prices, rec.embedding_model, rec.embedding_tokens, 0, unknown, ts)
        pays = BY_LAYER[layer]
        pays_llm, pays_emb = pays.pays_llm, pays.pays_embedding
        if llm is None:
            llm_unknown_full += 1
        else:
            llm_known_sum += llm
            llm_known += 1
        if emb is None:
            emb_unknown_full += 1
        else:
            emb_known_sum += emb
            emb_known += 1
        baseline += (llm or 0.0) + (emb or 0.0) + retrieval
        cost = rec.cost_usd
        if cost is not None:
            recorded_cost += 1
            actual = cost
        else:
            actual = ((llm or 0.0) if pays_llm else 0.0) + ((emb or 0.0) if pays_emb else 0.0) \
                + (retrieval if pays.pays_retrieval else 0.0)
            llm_unknown_paid += pays_llm and llm is None
            emb_unknown_paid += pays_emb and emb is None
        actual_sum += actual
        if layer == "none":
            miss_cost_sum += actual
            if cost is None:
                miss_llm_unknown += llm is None
                miss_emb_unknown += emb is None
    t.first_ts, t.last_ts, t.unlayered = first_ts, last_ts, unlayered
    t.llm_known_sum, t.emb_known_sum, t.baseline, t.actual, t.miss_cost_sum = (
        llm_known_sum, emb_known_sum, baseline, actual_sum, miss_cost_sum)
    t.llm_known, t.emb_known, t.llm_unknown_full, t.emb_unknown_full = llm_known, emb_known, llm_unknown_full, \
        emb_unknown_full
    t.llm_unknown_paid, t.emb_unknown_paid, t.recorded_cost = llm_unknown_paid, emb_unknown_paid, recorded_cost
    t.miss_llm_unknown, t.miss_emb_unknown = miss_llm_unknown, miss_emb_unknown
    q.raw = {}  # only reading needs the spellings seen: not kept in memory, nor in the cache
    if stats.lines == 0:
        raise InputError(f"{path.name} holds no requests", "Write one request per line (see the data formats page).")
    if stats.bad > stats.lines * TOO_MANY_BAD:
        raise InputError(f"{path.name}: {stats.bad:,} of {stats.lines:,} lines are not valid requests; first: "
                         + "; ".join(stats.problems or []),
                         "Check that the file is a query log in the documented format.")
    return t


def require_prices(t: Traffic, folder_name: str) -> None:
    if t.price_error is not None:
        raise InputError(*t.price_error)
    if t.unknown_models:
        raise unknown_model_error(t.unknown_models, folder_name)


STAMPEDE_WINDOW_S = 10.0
STAMPEDE_MIN_MISSES = 3


def stampedes(traffic: Traffic, redact: bool) -> dict:
    """Bursts of misses for the same query within a short window, from the query log."""
    q = traffic.queries
    order = sorted(range(len(q.ids)), key=lambda i: q.ts[i])
    recent: dict[int, deque] = defaultdict(deque)
    bursts: Counter = Counter()
    in_burst: set[int] = set()
    for i in order:
        if not q.miss[i]:
            continue
        d, t = q.ids[i], q.ts[i]
        window = recent[d]
        window.append(t)
        while window and t - window[0] > STAMPEDE_WINDOW_S:
            window.popleft()
        if len(window) >= STAMPEDE_MIN_MISSES:
            if d not in in_burst:
                bursts[d] += 1
                in_burst.add(d)
        else:
            in_burst.discard(d)
    examples = [{"query": None if redact else q.examples[d], "bursts": n} for d, n in bursts.most_common(3)]
    findings = []
    if bursts:
        findings.append(f"{sum(bursts.values()):,} bursts of {STAMPEDE_MIN_MISSES} or more misses for the same query "
                        f"within {STAMPEDE_WINDOW_S:.0f} s in the query log: the signature of a stampede.")
    return {"bursts": sum(bursts.values()), "queries": len(bursts), "examples": examples, "findings": findings}
