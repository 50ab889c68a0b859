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
from .querylog import BY_LAYER, LAYERS, ReadStats, read_pieces
from .queries import SIMPLE_MAX_OUTPUT_TOKENS, Distinct, Replay, simple_question

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
    # Token and cost sums per (layer, LLM, embedding model, day, cost_usd missing, simple by M2.2's routing
    # heuristic): [requests, input tokens, cached input tokens, output tokens, embedding tokens, cost_usd]
    groups: dict[tuple, list] = field(default_factory=dict)
    forecast_facts: dict | None = None  # the price library's part of the M2.2 forecast (routing.prepare)
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

    def replay(self, ttl_s: float | None = None, vector_cache: Path | None = None,
               threshold: float | None = None) -> Replay:
        done = self._replay
        wanted = None if threshold is None else round(threshold, 2)
        if done is None or done.ttl_s != ttl_s or getattr(done, "threshold", None) != wanted:
            from .similarity import replay  # numpy and scipy: only when a replay is computed

            self._replay = replay(self.queries, ttl_s, vector_cache=vector_cache, threshold=threshold)
        return self._replay


def analyse(path: Path, prices: PriceBook) -> Traffic:
    """Read the log once and accumulate everything the checks need."""
    stats = ReadStats()
    t = Traffic(path, stats, prices=prices)
    first_ts = last_ts = None
    unlayered = 0
    # Requests are summed per group of what prices them alike (layer, LLM, embedding model, day, whether
    # cost_usd was recorded): prices are linear in tokens, so the groups are priced once at the end.
    # ... and whether M2.2's routing heuristic scores the call simple (only for layers that still call the
    # LLM, with tokens to price it; the query half is scored once per distinct query).
    groups: dict[tuple, list] = {}
    llm_layers = frozenset(name for name, layer in BY_LAYER.items() if layer.pays_llm)
    simple_of: dict[int, bool] = {}  # per distinct query
    norms = t.queries.norms
    add_queries = t.queries.add_many
    for records in read_pieces(path, stats):
        times = [rec.ts for rec in records]
        low, high = min(times), max(times)
        if first_ts is None or low < first_ts:
            first_ts = low
        if last_ts is None or high > last_ts:
            last_ts = high
        # The queries, a piece at a time; each request's distinct id (None: the request has no query).
        asked = [rec for rec in records if rec.query is not None]
        vectors = [rec.embedding for rec in asked]
        ids = add_queries(times if len(asked) == len(records) else [rec.ts for rec in asked],
                          [rec.query for rec in asked], [rec.cache_layer == "none" for rec in asked],
                          vectors if vectors.count(None) < len(vectors) else None)
        if len(asked) < len(records):
            next_id = iter(ids).__next__
            ids = [None if rec.query is None else next_id() for rec in records]
        for rec, did in zip(records, ids):
            layer = rec.cache_layer
            if layer is None:
                unlayered += 1
                continue
            tin, temb, cost = rec.input_tokens, rec.embedding_tokens, rec.cost_usd
            simple = False
            if tin is not None and did is not None and layer in llm_layers:
                simple = simple_of.get(did)
                if simple is None:
                    simple = simple_of[did] = simple_question(norms[did])
                tout = rec.output_tokens
                simple = simple and (tout is None or tout <= SIMPLE_MAX_OUTPUT_TOKENS)
            key = (layer, rec.model if tin is not None else None,
                   rec.embedding_model if temb is not None else None, int(rec.ts // 86400), cost is None, simple)
            g = groups.get(key)
            if g is None:
                g = groups[key] = [0, 0, 0, 0, 0, 0.0]
            g[0] += 1
            if tin is not None:
                g[1] += tin
                g[2] += rec.cached_input_tokens or 0
                g[3] += rec.output_tokens or 0
            if temb is not None:
                g[4] += temb
            if cost is not None:
                g[5] += cost
    t.first_ts, t.last_ts, t.unlayered = first_ts, last_ts, unlayered
    t.groups = groups
    _price_groups(t, groups)
    if stats.lines == 0:
        raise InputError(f"{path.name} holds no requests", "Write one request per line (see the data formats page).")
    if stats.bad > stats.lines * TOO_MANY_BAD:
        raise InputError(f"{path.name}: {stats.bad:,} of {stats.lines:,} lines are not valid requests; first: "
                         + "; ".join(stats.problems or []),
                         "Check that the file is a query log in the documented format.")
    return t


def _price_groups(t: Traffic, groups: dict[tuple, list]) -> None:
    """The costs of ``analyse``'s groups, as if each request had been priced on its own."""
    prices, unknown = t.prices, t.unknown_models
    retrieval = prices.retrieval_usd_per_query
    for (layer, model, emb_model, day, no_cost, _), (n, tin, cached, tout, temb, cost) in groups.items():
        t.layers[layer] += n
        pays = BY_LAYER[layer]
        llm = emb = None  # the group's total, or None when it cannot be priced
        if model is not None:
            rate = prices.rate(model, day * 86400.0)
            if rate is None:
                unknown[model] = unknown.get(model, 0) + n
            else:
                llm = rate.price(tin, tout, cached)
        if emb_model is not None:
            rate = prices.rate(emb_model, day * 86400.0)
            if rate is None:
                unknown[emb_model] = unknown.get(emb_model, 0) + n
            else:
                emb = rate.price(temb, 0)
        if llm is None:
            t.llm_unknown_full += n
        else:
            t.llm_known_sum += llm
            t.llm_known += n
        if emb is None:
            t.emb_unknown_full += n
        else:
            t.emb_known_sum += emb
            t.emb_known += n
        t.baseline += (llm or 0.0) + (emb or 0.0) + retrieval * n
        if not no_cost:
            t.recorded_cost += n
            actual = cost
        else:
            actual = ((llm or 0.0) if pays.pays_llm else 0.0) + ((emb or 0.0) if pays.pays_embedding else 0.0) \
                + (retrieval * n if pays.pays_retrieval else 0.0)
            t.llm_unknown_paid += n if pays.pays_llm and llm is None else 0
            t.emb_unknown_paid += n if pays.pays_embedding and emb is None else 0
        t.actual += actual
        if layer == "none":
            t.miss_cost_sum += actual
            if no_cost:
                t.miss_llm_unknown += n if llm is None else 0
                t.miss_emb_unknown += n if emb is None else 0


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
