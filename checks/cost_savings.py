"""Check 2: the cost baseline that M2.2's savings will be measured against.

Reads the notebook's cost analytics file, checks that its three numbers agree
(savings = 1 - current / baseline), and compares the savings with the
30-70% band that a working multi-layer cache reaches.
"""

from __future__ import annotations

from .context import Context
from .errors import InputError, NotMeasured
from .files import find_files
from .result import Result, Status

ID = "cost_savings"
TITLE = "Cost savings baseline"
LOW, HIGH = 0.30, 0.70
BAR_TEXT = "expected 30–70%"
REPORT_FILES = ["cost_analytics.json", "cost_analytics_stub.json"]
DAYS_PER_MONTH = 30  # the notebook's $12.60/day = $378/month
TOLERANCE = 0.01  # one percentage point: rounding in a hand-written file, not a contradiction

# The recap's worked example, recomputed on the page with the learner's numbers where known.
EXAMPLE_QUERIES_PER_DAY = 10_000
EXAMPLE_MISS_RATE = 0.60
EXAMPLE_COST_PER_MISS = 0.0021


def worked_example(queries_per_day: float, miss_rate: float, cost_per_miss: float) -> dict[str, float]:
    """Daily and monthly cost of the misses: queries x miss rate x cost per miss."""
    misses = queries_per_day * miss_rate
    daily = misses * cost_per_miss
    return {"queries_per_day": queries_per_day, "miss_rate": miss_rate, "misses_per_day": misses,
            "cost_per_miss": cost_per_miss, "cost_per_day": daily, "cost_per_month": daily * DAYS_PER_MONTH}


def _money(x: float) -> str:
    return f"${x:,.2f}"


def check(ctx: Context) -> Result:
    """Cost savings baseline"""
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
    if baseline is not None and current is not None:
        details.append(f"Baseline (no cache): {_money(baseline)}/day = {_money(baseline * DAYS_PER_MONTH)}/month")
        details.append(f"With the cache: {_money(current)}/day = {_money(current * DAYS_PER_MONTH)}/month")
        details.append(f"Saved: {_money(baseline - current)}/day = "
                       f"{_money((baseline - current) * DAYS_PER_MONTH)}/month")
    example = _example_from(data, baseline, current)
    if example is not None:
        metrics["worked_example"] = example
        details.append(
            f"Worked example with your numbers: {example['queries_per_day']:,.0f} queries/day × "
            f"{example['miss_rate']:.1%} misses × ${example['cost_per_miss']:.4f} per miss = "
            f"{_money(example['cost_per_day'])}/day = {_money(example['cost_per_month'])}/month")
    value = f"savings {savings:.1%}"
    if stated is None:
        return Result(ID, TITLE, Status.WARN,
                      f"Savings of {savings:.1%} computed, but the cost_savings_vs_baseline field is missing.",
                      source, f"Add \"cost_savings_vs_baseline\": {savings:.3f} to {path.name} so M2.2 can "
                      "track compound savings against it.", value, BAR_TEXT, metrics, tuple(details))
    if savings < 0:
        return Result(ID, TITLE, Status.FAIL,
                      f"The cache costs more than it saves: {savings:.1%} against the no-cache baseline.",
                      source, "Check the cache's own costs (embeddings on every lookup, Redis) and its hit "
                      "rate; return to M2.1 before adding prompt optimisation.",
                      value, BAR_TEXT, metrics, tuple(details))
    if not LOW <= savings <= HIGH:
        where = "below" if savings < LOW else "above"
        hint = ("Savings under 30% usually mean a low hit rate: revisit semantic cache tuning "
                "(M2.1 Augmented [14:30])." if savings < LOW else
                "Savings over 70% are unusual: check that the baseline counts every query at full "
                "pipeline cost and that current cost includes the cache's own costs.")
        return Result(ID, TITLE, Status.WARN, f"Savings of {savings:.1%} are {where} the typical 30–70% range.",
                      source, hint, value, BAR_TEXT, metrics, tuple(details))
    return Result(ID, TITLE, Status.PASS,
                  f"Baseline recorded: savings of {savings:.1%}, within the expected 30–70%.",
                  source, "", value, BAR_TEXT, metrics, tuple(details))


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
