"""Check 2: the cost baseline that M2.2's savings will be measured against.

Reads the notebook's cost analytics file, checks that its three numbers agree
(savings = 1 - current / baseline), and compares the savings with the
30-70% band that a working multi-layer cache reaches.
"""

from __future__ import annotations

from dataclasses import replace

from . import charts
from .check import Check
from .context import Context
from .errors import InputError, NotMeasured
from .files import find_files
from .querylog import LAYERS
from .result import Result, Status
from .traffic import Traffic, require_prices

ID = "cost_savings"
TITLE = "Cost savings baseline"
LOW, HIGH = 0.30, 0.70
BAR_TEXT = "expected 30–70%"
REPORT_FILES = ["cost_analytics.json", "cost_analytics_stub.json"]
DAYS_PER_MONTH = 30  # the notebook's $12.60/day = $378/month
TOLERANCE = 0.01  # one percentage point: rounding in a hand-written file, not a contradiction


def worked_example(queries_per_day: float, miss_rate: float, cost_per_miss: float) -> dict[str, float]:
    """The recap's arithmetic (10,000 queries x 60% misses x $0.0021 = $12.60/day, $378/month),
    for any figures: daily and monthly cost of the misses."""
    misses = queries_per_day * miss_rate
    daily = misses * cost_per_miss
    return {"queries_per_day": queries_per_day, "miss_rate": miss_rate, "misses_per_day": misses,
            "cost_per_miss": cost_per_miss, "cost_per_day": daily, "cost_per_month": daily * DAYS_PER_MONTH}


def money(x: float) -> str:
    return f"${x:,.2f}"


def _cents(x: float) -> float:
    return round(x, 2)


def money_lines(baseline: float, current: float, running: float | None = None) -> list[str]:
    """Baseline, current and saved per day and per month, each sum reproducible from the figures shown:
    the saving shown is the difference of the amounts shown, not a separately rounded number."""
    lines = []
    b_day, c_day = _cents(baseline), _cents(current)
    b_mon, c_mon = _cents(baseline * DAYS_PER_MONTH), _cents(current * DAYS_PER_MONTH)
    lines.append(f"Baseline (no cache): {money(b_day)}/day = {money(b_mon)}/month")
    lines.append(f"With the cache: {money(c_day)}/day = {money(c_mon)}/month")
    lines.append(f"Saved before running costs (gross): {money(b_day - c_day)}/day = {money(b_mon - c_mon)}/month")
    if running is not None:
        r_day, r_mon = _cents(running), _cents(running * DAYS_PER_MONTH)
        lines.append(f"The cache's running costs: {money(r_day)}/day = {money(r_mon)}/month")
        lines.append(f"Saved after running costs (net): {money(b_day - c_day - r_day)}/day = "
                     f"{money(b_mon - c_mon - r_mon)}/month")
    return lines


def example_line(ex: dict[str, float]) -> str:
    """The worked example, with each figure shown at a precision that reproduces the product."""
    q, rate, per = round(ex["queries_per_day"]), round(ex["miss_rate"], 3), round(ex["cost_per_miss"], 5)
    daily = _cents(q * rate * per)
    return (f"Worked example with your numbers: {q:,} queries/day × {rate:.1%} misses × ${per:.5f} per miss = "
            f"{money(daily)}/day = {money(daily * DAYS_PER_MONTH)}/month")


def check(ctx: Context) -> Result:
    """Cost savings baseline"""
    traffic = ctx.traffic()
    if traffic is not None and traffic.layered:
        return _from_traffic(ctx, traffic)
    paths = find_files(ctx.folder, REPORT_FILES)
    if not paths:
        raise NotMeasured(
            f"No cost_analytics.json in {ctx.describe(ctx.folder)}.",
            "Record baseline_cost_per_day, current_cost_per_day and cost_savings_vs_baseline in "
            "cost_analytics.json (python -m checks init DIR writes an example); without a baseline "
            "you cannot prove M2.2's return on investment.",
        )
    path = paths[0]
    name = ctx.describe(path)
    data = ctx.json(path, "cost_analytics")
    source = ctx.file_source(path, data.get("measured_at"))
    baseline = data.get("baseline_cost_per_day")
    current = data.get("current_cost_per_day")
    stated = data.get("cost_savings_vs_baseline")
    computed = None
    if baseline is not None and current is not None:
        if baseline == 0:
            raise InputError(f"{name}: baseline_cost_per_day is 0, so no saving can be measured against it",
                             "The baseline is what a day costs with no cache; it cannot be zero.")
        computed = 1 - current / baseline
    if stated is None and computed is None:
        raise InputError(f"{name}: cost_savings_vs_baseline is missing, and baseline_cost_per_day and "
                         "current_cost_per_day are not both there to compute it",
                         f"Add cost_savings_vs_baseline to {path.name}.")
    if stated is not None and computed is not None and abs(stated - computed) > TOLERANCE:
        raise InputError(
            f"{name}: the three numbers disagree: 1 - {current:.2f} / {baseline:.2f} = {computed:.1%}, "
            f"but cost_savings_vs_baseline says {stated:.1%}",
            "Correct whichever number is wrong; the savings must equal 1 - current / baseline.")
    savings = stated if stated is not None else computed
    assert savings is not None
    metrics: dict[str, object] = {
        "savings": savings, "baseline_cost_per_day": baseline, "current_cost_per_day": current,
        "baseline_cost_per_month": None if baseline is None else baseline * DAYS_PER_MONTH,
        "current_cost_per_month": None if current is None else current * DAYS_PER_MONTH,
        "saved_per_month": None if computed is None else (baseline - current) * DAYS_PER_MONTH,
        "band": [LOW, HIGH],
    }
    details = []
    running = _running_from_prices(ctx)
    net = savings
    if baseline is not None and current is not None:
        details.extend(money_lines(baseline, current, running))
        if running is not None:
            net = (baseline - current - running) / baseline
    if running is None:
        details.append("current_cost_per_day is taken as including the cache's own running costs (Redis, "
                       "embeddings for lookups); put redis_usd_per_month in prices.json to count Redis here.")
    metrics.update(net_savings=net, gross_savings=savings, running_cost_per_day=running)
    example = _example_from(data, baseline, current)
    if example is not None:
        metrics["worked_example"] = example
        details.append(example_line(example))
    return _verdict(net, stated is not None, path.name, source, metrics, details, gross=savings)


def _running_from_prices(ctx: Context) -> float | None:
    """Redis per day from prices.json, when the learner recorded it there."""
    from .prices import PRICE_FILE, PriceBook

    if not (ctx.folder / PRICE_FILE).exists():
        return None
    book = PriceBook.load(ctx.folder, ctx.describe)
    return book.redis_usd_per_month / DAYS_PER_MONTH if book.redis_usd_per_month else None


def _verdict(savings: float, stated: bool, file_name: str, source, metrics: dict, details: list[str],
             caveat: str = "", gross: float | None = None) -> Result:
    result = _band(savings, stated, file_name, source, metrics, details, caveat, gross)
    if not caveat or caveat in result.summary:
        return result
    return replace(result, summary=f"{result.summary} Also, {caveat}.")


def _band(savings: float, stated: bool, file_name: str, source, metrics: dict, details: list[str],
          caveat: str, gross: float | None = None) -> Result:
    """The verdict on net savings (after the cache's running costs); gross savings are shown beside."""
    beside = "" if gross is None or abs(gross - savings) < 5e-4 else f" (gross {gross:.1%} before running costs)"
    value = f"net savings {savings:.1%}" if beside else f"savings {savings:.1%}"
    if not stated:
        return Result(Status.WARN,
                      f"Savings of {savings:.1%} computed, but the cost_savings_vs_baseline field is missing.",
                      source, f"Add \"cost_savings_vs_baseline\": {savings:.3f} to {file_name} so M2.2 can "
                      "track compound savings against it.", value, metrics, tuple(details))
    if savings < 0:
        return Result(Status.FAIL,
                      f"The cache costs more than it saves: net savings {savings:.1%} against the no-cache "
                      f"baseline{beside}.",
                      source, "Raise the hit rate above the break-even shown below, or cut the cache's running "
                      "costs (a smaller Redis, fewer embedding calls); return to M2.1 before adding prompt "
                      "optimisation.", value, metrics, tuple(details))
    if not LOW <= savings <= HIGH:
        where = "below" if savings < LOW else "above"
        hint = ("Savings under 30% usually mean a low hit rate: revisit semantic cache tuning "
                "(M2.1 Augmented [14:30])." if savings < LOW else
                "Savings over 70% are unusual: check that the baseline counts every query at full "
                "pipeline cost and that current cost includes the cache's own costs.")
        if savings < LOW and gross is not None and gross >= LOW:
            hint = (f"Before running costs the cache saves {gross:.1%}; its running costs take the net below 30%. "
                    "A cheaper Redis, or more response and semantic hits (the ones that skip the LLM), raise it.")
        return Result(Status.WARN, f"Net savings of {savings:.1%}{beside} are {where} the typical 30–70% range.",
                      source, hint, value, metrics, tuple(details))
    if caveat:
        return Result(Status.WARN, f"Net savings of {savings:.1%}{beside}, within 30–70%, but {caveat}.",
                      source, "Fix or remove the lines named below so that every request counts.",
                      value, metrics, tuple(details))
    return Result(Status.PASS,
                  f"Baseline recorded: net savings of {savings:.1%}{beside}, within the expected 30–70%.",
                  source, "", value, metrics, tuple(details))


HIT_NOT_SAVING = ("A hit rate is not a saving: a response or semantic hit skips the LLM, but a context or "
                  "embedding hit still pays for the LLM call, and every lookup costs the cache something to run.")


def break_even(overhead_per_day: float, queries_per_day: float, saving_per_hit: float) -> float | None:
    """The hit rate at which what the hits save equals what the cache costs to run."""
    if queries_per_day <= 0 or saving_per_hit <= 0:
        return None
    return overhead_per_day / (queries_per_day * saving_per_hit)


def _from_traffic(ctx: Context, t: Traffic) -> Result:
    require_prices(t, ctx.describe(ctx.folder))
    costs = t.costs()
    if costs is None:
        raise NotMeasured(f"{ctx.describe(t.path)} has no model and token counts (nor cost_usd) to price.",
                          "Log model, input_tokens and output_tokens (or cost_usd) for each request.")
    days, n = t.days, t.layered
    baseline, actual = costs["baseline"] / days, costs["actual"] / days
    if baseline == 0:
        raise NotMeasured(f"{ctx.describe(t.path)}: the priced requests cost nothing, so there is no baseline.",
                          "Check the token counts and the models in the log.")
    savings = 1 - actual / baseline
    queries_per_day = n / days
    hits = n - t.layers["none"]
    per_miss = costs["cost_per_miss"]
    full = costs["llm_mean"] + costs["emb_mean"] + t.prices.retrieval_usd_per_query
    saving_per_hit = (costs["baseline"] - costs["actual"]) / hits if hits else full
    # Running costs: Redis, and an embedding for every lookup past the exact layer that the current
    # cost does not already pay one for (full misses and semantic hits do; embedding and context hits
    # are charged one here).
    unpriced_lookups = (t.layers["embedding"] + t.layers["context"]) / days
    redis_per_day = t.prices.redis_usd_per_month / DAYS_PER_MONTH
    running = redis_per_day + costs["emb_mean"] * unpriced_lookups
    net = (baseline - actual - running) / baseline
    even = break_even(running, queries_per_day, saving_per_hit)
    rates = t.layer_rates()
    request_rate = t.hit_rate
    metrics: dict[str, object] = {
        "savings": savings, "gross_savings": savings, "net_savings": net,
        "baseline_cost_per_day": baseline, "current_cost_per_day": actual,
        "running_cost_per_day": running, "running_cost_per_month": running * DAYS_PER_MONTH,
        "baseline_cost_per_month": baseline * DAYS_PER_MONTH, "current_cost_per_month": actual * DAYS_PER_MONTH,
        "saved_per_month": (baseline - actual) * DAYS_PER_MONTH,
        "net_saved_per_month": (baseline - actual - running) * DAYS_PER_MONTH, "band": [LOW, HIGH],
        "requests": n, "days": t.span_days, "queries_per_day": queries_per_day, "cost_per_miss": per_miss,
        "layer_rates": rates, "break_even_hit_rate": even, "request_hit_rate": request_rate,
        "estimated_parts": costs["estimated"], "measured": True,
    }
    if per_miss is not None:
        metrics["worked_example"] = worked_example(queries_per_day, rates["none"], per_miss)
    span = f"{t.span_days:.1f} days" if t.span_days >= 1 else f"{t.span_days * 24:.1f} hours (extrapolated to a day)"
    details = [f"Measured from {n:,} requests over {span}, priced with "
               + (", ".join(t.prices.sources()) or "the recorded cost_usd")
               + ".",
               *money_lines(baseline, actual, running),
               f"Running costs: Redis {money(t.prices.redis_usd_per_month)}/month (redis_usd_per_month in "
               f"prices.json), plus an embedding for each of the {unpriced_lookups:,.0f} lookups a day that pass "
               "the exact layer and whose cost above does not already include one.",
               "Requests answered per layer: " + ", ".join(f"{k} {rates[k]:.1%}" for k in LAYERS),
               HIT_NOT_SAVING]
    if per_miss is not None:
        details.append(example_line(metrics["worked_example"]))
    if even is not None:
        details.append(f"Break-even request hit rate: {even:.1%}: below it the cache's running costs "
                       f"({money(running)}/day) exceed what its hits save (${saving_per_hit:.5f} each on "
                       f"average). Your request hit rate (from the log): {request_rate:.1%}.")
    if costs["estimated"]:
        details.append(f"{costs['estimated']:,} request parts without tokens were costed at the mean of those with them.")
    caveat = ""
    if t.stats.bad:
        caveat = f"{t.stats.bad:,} of {t.stats.lines:,} log lines were skipped"
        details.extend(t.stats.problems or [])
    return _verdict(net, True, t.path.name, ctx.log_source(t), metrics, details, caveat, gross=savings)


def _example_from(data: dict, baseline: float | None, current: float | None) -> dict[str, float] | None:
    """The recap's arithmetic with the learner's own figures, where the file gives them."""
    queries = data.get("queries_per_day")
    hit_rate = data.get("cache_hit_rate")
    per_miss = data.get("cost_per_miss")
    if queries is None or hit_rate is None:
        return None
    if per_miss is None and baseline is not None:
        per_miss = baseline / queries  # with no cache every query is a miss
    if per_miss is None:
        return None
    return worked_example(queries, 1 - hit_rate, per_miss)


def _charts(result: Result) -> list[str]:
    m = result.metrics
    out = [charts.layer_rates(m["layer_rates"])] if m.get("layer_rates") else []
    if m.get("baseline_cost_per_day") is not None and m.get("current_cost_per_day") is not None:
        out.append(charts.cost_compare(m["baseline_cost_per_day"], m["current_cost_per_day"],
                                       m.get("running_cost_per_day"), (LOW, HIGH), m.get("break_even_hit_rate")))
    return out


CHECK = Check(ID, TITLE, BAR_TEXT, "checks/cost-savings/", check,
              ("net_savings", "savings", "baseline_cost_per_day", "current_cost_per_day"), _charts)
