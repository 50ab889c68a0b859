"""What M2.2 would save on the learner's own traffic: a forecast from the query log, not a check.

Every LLM call the cache still makes (full misses, and embedding and context hits) is priced per
group of alike requests (``Traffic.groups``), at its model and day, with the same library as the cost
check. Four figures, per 30-day month:

* compression: the input tokens of those calls cut by 30% and by 50% (M2.2's prompt templates);
* routing: the calls a transparent heuristic scores as simple (``queries.simple_question`` and a short
  answer) sent to a cheaper current model of the same provider;
* prompt caching (provider-side, beside M2.2): a stated share of each prompt, the fixed template,
  read at the provider's cached-input rate, where the library has one;
* combined: compression and routing together (a routed call's shorter prompt is priced at the cheaper
  model, so nothing is counted twice), after the cache and its running costs, against the no-cache
  baseline: the figure the course's 50-70% target is about.

LLM calls without token counts are forecast at the mean of those with them, as the cost check prices
them; the forecast says what share that was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cost_savings import DAYS_PER_MONTH, money
from .errors import InputError, NotMeasured
from .prices import retired
from .queries import REASONING_WORDS, SIMPLE_MAX_OUTPUT_TOKENS, SIMPLE_MAX_WORDS
from .result import Result, SourceKind
from .routing import calls_of, prepare, priced_at
from .traffic import require_prices

if TYPE_CHECKING:
    from .context import Context

CUT_LOW, CUT_HIGH = 0.30, 0.50  # M2.2's prompt templates: 30-50% fewer input tokens
TARGET_LOW, TARGET_HIGH = 0.50, 0.70  # the course's combined target: caching plus prompt optimisation
QUALITY_LOSS_LIMIT = 0.05
DEFAULT_STATIC_SHARE = 0.5
# The shortest repeated prefix a provider caches: OpenAI and Anthropic's larger models cache prompts
# from 1,024 tokens; some models need more (Anthropic's Haiku models 2,048 or 4,096).
MIN_CACHED_PREFIX = 1024
ROUTING_METHOD = (f"heuristic: a call is simple when its query has at most {SIMPLE_MAX_WORDS} words, none of "
                  f"them a reasoning word ({', '.join(REASONING_WORDS[:6])}, …), and its answer took at most "
                  f"{SIMPLE_MAX_OUTPUT_TOKENS} output tokens (when the log records them)")
QUALITY_RISK = (f"Routing and compression trade quality for cost: the target is under {QUALITY_LOSS_LIMIT:.0%} "
                "quality loss, and it has to be measured (an evaluation set, A/B tests) before a forecast "
                "becomes a saving. A wrong route means poor answers, or overpaying.")


def forecast(ctx: "Context", cost: Result | None) -> dict[str, Any]:
    """The forecast object of the JSON report. Raises ``NotMeasured`` without a log to forecast from."""
    t = ctx.traffic()
    if t is None:
        raise NotMeasured("No query log to forecast from.",
                          "Add query_log.jsonl to your data folder, with model, input_tokens and output_tokens "
                          "on each request: the forecast prices what M2.2 would save on your own traffic.")
    require_prices(t, ctx.describe(ctx.folder))
    calls, unpriced = calls_of(t)
    known = sum(c.n for c in calls)
    if not known:
        raise NotMeasured(f"{ctx.describe(t.path)} has no LLM call with model and token counts to forecast from.",
                          "Log model, input_tokens and output_tokens on each request.")
    total = known + unpriced
    scale = total / known  # unpriced calls at the mean of the priced ones
    per_month = DAYS_PER_MONTH / t.days * scale

    input_cost = sum(c.input_cost for c in calls)
    llm_cost = input_cost + sum(c.output_cost for c in calls)
    compression = {"cut_low": CUT_LOW, "cut_high": CUT_HIGH,
                   "usd_per_month_low": CUT_LOW * input_cost * per_month,
                   "usd_per_month_high": CUT_HIGH * input_cost * per_month,
                   "input_usd_per_month": input_cost * per_month,
                   "assumes": f"M2.2's templates cut the input tokens of every LLM call the cache still makes "
                              f"by {CUT_LOW:.0%} to {CUT_HIGH:.0%}; output tokens unchanged"}

    facts = t.forecast_facts
    if facts is None:
        prepare(t)
        facts = t.forecast_facts
    if "error" in facts:
        raise InputError(*facts["error"])
    to_model, chosen = facts["target"]
    simple = sum(c.n for c in calls if c.simple)
    routed = saving = 0.0
    after_routing: dict[int, tuple[float, float]] = {}  # id(call) -> (input, output) cost after routing
    if to_model is not None:
        for c in calls:
            if c.simple:
                tin_cost, tout_cost = priced_at(t, c, to_model)
                if tin_cost + tout_cost < c.input_cost + c.output_cost:  # never route to a dearer model
                    routed += c.n
                    saving += c.input_cost + c.output_cost - tin_cost - tout_cost
                    after_routing[id(c)] = (tin_cost, tout_cost)
    routing = {"to_model": to_model, "share": simple / known, "routed_share": routed / known,
               "usd_per_month": saving * per_month, "method": ROUTING_METHOD, "chosen": chosen,
               "quality_risk": QUALITY_RISK,
               "assumes": "every call scored simple goes to the cheaper model with the same tokens; the others "
                          "stay on their model; calls already on a cheaper model stay where they are"}

    share = t.prices.static_prompt_share
    share_named = share is not None
    share = DEFAULT_STATIC_SHARE if share is None else share
    cacheable = [c for c in calls if c.rate.cached_input_per_token is not None]
    caching: dict[str, Any] = {"available": bool(cacheable), "static_share": share,
                               "static_share_from": "prices.json (static_prompt_share)" if share_named
                               else "the default; set static_prompt_share in prices.json",
                               "min_prefix_tokens": MIN_CACHED_PREFIX, "usd_per_month": None,
                               "eligible_share": 0.0}
    if cacheable:
        eligible = cached_saving = 0.0
        for c in cacheable:
            if share * c.tin / c.n < MIN_CACHED_PREFIX:  # the mean fixed prefix is too short to be cached
                continue
            newly = max(0.0, share * c.tin - c.cached)
            cached_saving += newly * (c.rate.input_per_token - c.rate.cached_input_per_token)
            eligible += c.n
        caching.update(usd_per_month=cached_saving * per_month, eligible_share=eligible / known,
                       uncovered_share=sum(c.n for c in calls if c.rate.cached_input_per_token is None) / known)
    caching["assumes"] = (f"{share:.0%} of each prompt is a fixed template at its start, read from the provider's "
                          f"prompt cache at the cached-input rate; a provider caches only a repeated prefix of at "
                          f"least {MIN_CACHED_PREFIX:,} tokens, so groups of calls whose mean fixed part is shorter "
                          "save nothing; this is the provider's cache, beside the one you built")

    def after_m22(cut: float) -> float:
        """LLM cost over the log after compression and routing together."""
        out = 0.0
        for c in calls:
            tin_cost, tout_cost = after_routing.get(id(c), (c.input_cost, c.output_cost))
            out += tin_cost * (1 - cut) + tout_cost
        return out

    combined: dict[str, Any] = {"target_low": TARGET_LOW, "target_high": TARGET_HIGH}
    metrics = cost.metrics if cost is not None and cost.metrics.get("measured") else {}
    baseline = metrics.get("baseline_cost_per_month")
    if baseline:
        after_cache = metrics["current_cost_per_month"] + (metrics.get("running_cost_per_month") or 0.0)
        m22_low = (llm_cost - after_m22(CUT_LOW)) * per_month
        m22_high = (llm_cost - after_m22(CUT_HIGH)) * per_month
        combined.update(
            baseline_usd_per_month=baseline, after_cache_usd_per_month=after_cache,
            after_cache_reduction=1 - after_cache / baseline,
            m22_usd_per_month_low=m22_low, m22_usd_per_month_high=m22_high,
            after_m22_usd_per_month_low=after_cache - m22_low, after_m22_usd_per_month_high=after_cache - m22_high,
            reduction_low=1 - (after_cache - m22_low) / baseline, reduction_high=1 - (after_cache - m22_high) / baseline,
            assumes="after the cache and its running costs (check 2's net figure), then compression and routing "
                    "together: a routed call's shorter prompt is priced at the cheaper model, so no saving is "
                    "counted twice; prompt caching is left out (it is the provider's, not M2.2's)")
    else:
        combined["assumes"] = "needs check 2's measured cost figures from the same log"

    models = sorted({c.model for c in calls})
    notes = [f"{m} was shut down by its provider on {retired(m)}: your log prices it at its dates, but move "
             "off it before M2.2" for m in models if retired(m)]
    source = ctx.log_source(t)
    return {
        "status": "forecast",
        "sample": ctx.kind(t.path) is SourceKind.SAMPLE,
        "summary": "",
        "source": source.to_dict(),
        "llm_calls": total, "llm_calls_per_month": total / t.days * DAYS_PER_MONTH,
        "estimated_share": unpriced / total,
        "estimated": f"{unpriced:,} of {total:,} LLM calls had no token counts and are forecast at the mean of the "
                     "others" if unpriced else "every LLM call had its token counts",
        "models": models,
        "prices": {"library": f"genai-prices {facts['version']}", "data_date": facts["data_date"],
                   "sources": t.prices.sources()},
        "compression": compression, "routing": routing, "prompt_caching": caching, "combined": combined,
        "notes": notes,
    }


def for_report(ctx: "Context", report_results: tuple[Result, ...]) -> dict[str, Any]:
    """The forecast with its one-line summary; the runner turns what it raises into a status."""
    cost = next((r for r in report_results if r.id == "cost_savings"), None)
    out = forecast(ctx, cost)
    out["summary"] = summary(out)
    return out


def summary(f: dict[str, Any]) -> str:
    c, r, comb = f["compression"], f["routing"], f["combined"]
    parts = [f"Compression {money(c['usd_per_month_low'])}–{money(c['usd_per_month_high'])}/month"]
    if r["to_model"]:
        parts.append(f"routing {r['routed_share']:.1%} of LLM calls to {r['to_model']} "
                     f"{money(r['usd_per_month'])}/month")
    else:
        parts.append("no routing target")
    text = ", ".join(parts) + "."
    if "reduction_low" in comb:
        text += (f" Together with the cache: {comb['reduction_low']:.0%}–{comb['reduction_high']:.0%} below the "
                 f"no-cache baseline (the course aims at {comb['target_low']:.0%}–{comb['target_high']:.0%}).")
    return text

