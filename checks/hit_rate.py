"""Check 1: the cache hit rate, live from Redis or from a reported file.

Bar: at least 30% of lookups hit. Below that, the notebook's reasoning is that
the cache's overhead starts to exceed what it saves, and prompt optimisation
must carry more of the load in M2.2.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from . import charts, session
from .check import Check
from .context import Context
from .errors import InputError, NotMeasured
from .files import find_files
from .placeholders import find_placeholders, real_words
from .querylog import HIT_LAYERS
from .result import Result, Source, SourceKind, Status
from .traffic import Traffic

if TYPE_CHECKING:
    from .redis_stats import RedisStats

ID = "hit_rate"
TITLE = "Cache hit rate"
BAR = 0.30
# Fewer lookups than this are not a verdict, however good the rate looks.
MIN_LOOKUPS = 100
REPORT_FILES = ["cache_metrics.json", "cache_metrics_stub.json"]
BAR_TEXT = "bar ≥ 30%"

LOW_HINT = (
    "Return to M2.1 Augmented [14:30] for semantic cache tuning; until the rate rises, "
    "prompt optimisation will carry more of the load in M2.2. Below about 30% the cache's "
    "own overhead (an embedding on every semantic lookup, Redis memory and round trips) "
    "can exceed what its hits save."
)


def wilson_interval(hits: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion: honest at small sample sizes."""
    if total == 0:
        return (0.0, 1.0)
    p = hits / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _pct(x: float) -> str:
    return f"{x:.1%}"


WHY_TWO = ("The two rates differ because they count different things: Redis counts key lookups, and one "
           "request makes up to four of them (response, semantic, embedding, context), most of which miss "
           "before one hits; the log counts requests, and a request is answered if any layer hit.")


def shown(hits: int, misses: int) -> tuple[str, str]:
    """(verdict, rate as shown) for these counters: what decides whether a served page must change."""
    result = _judge(hits, misses, Source(SourceKind.REDIS, ""), [])  # the page's own verdict, not a copy of it
    rate = result.metrics["hit_rate"]
    # Status and hint tell the verdicts apart (too few lookups, below the bar, not yet sure, pass).
    return (f"{result.status.value}: {result.hint}", "" if rate is None else _pct(rate))


def _judge(hits: int, misses: int, source: Source, details: list[str], label: str = "",
           key: str = "hit_rate") -> Result:
    """The verdict on ``hits`` of ``hits + misses``, stored as ``metrics[key]``: ``hit_rate`` for Redis key
    lookups (or a reported figure), ``request_hit_rate`` for requests in the query log."""
    total = hits + misses
    metrics = {"hit_rate": None, "request_hit_rate": None, "hits": hits, "misses": misses, "lookups": total,
               "bar": BAR, "interval_95": None, "reported": label == "reported",
               "verdict_on": "log" if key == "request_hit_rate" else ("report" if label else "redis")}
    if total == 0:
        return Result(Status.SKIP, "No cache lookups recorded yet, so there is no hit rate.",
                      source, "Send some traffic through your RAG system's cache, then look again.",
                      "no lookups yet", metrics, tuple(details))
    rate = hits / total
    low, high = wilson_interval(hits, total)
    metrics.update({key: rate, "interval_95": [low, high]})
    unit = "requests" if key == "request_hit_rate" else "lookups"
    if key == "request_hit_rate":
        value = f"request hit rate {_pct(rate)} ({hits:,} of {total:,} requests, from the log)"
    else:
        value = f"hit rate {_pct(rate)} ({hits:,} hits of {total:,} lookups)"
    details.append(f"95% interval for the true rate: {_pct(low)} to {_pct(high)}")
    prefix = f"{label.capitalize()}, not measured: " if label else ""
    if key == "request_hit_rate":
        prefix = "From the query log (share of requests answered by any layer): "
    if total < MIN_LOOKUPS:
        return Result(Status.WARN,
                      f"{prefix}{_pct(rate)} from only {total} {unit} is not a verdict "
                      f"(it could be anywhere from {_pct(low)} to {_pct(high)}).",
                      source, f"Let at least {MIN_LOOKUPS} lookups through the cache before judging it.",
                      value, metrics, tuple(details))
    if rate < BAR:
        return Result(Status.WARN, f"{prefix}{_pct(rate)} is below the 30% bar.",
                      source, LOW_HINT, value, metrics, tuple(details))
    if low < BAR:
        return Result(Status.WARN,
                      f"{prefix}{_pct(rate)} is above the bar, but with {total:,} {unit} the true rate "
                      f"could still be as low as {_pct(low)}.",
                      source, "Let more traffic through the cache; the interval narrows as lookups grow.",
                      value, metrics, tuple(details))
    return Result(Status.PASS, f"{prefix}{_pct(rate)} meets the 30% bar.",
                  source, "", value, metrics, tuple(details))


def _from_redis(stats: RedisStats) -> Result:
    source = Source(SourceKind.REDIS, f"live Redis at {stats.display}"
                    + (f" (cluster, {len(stats.nodes)} primaries)" if stats.cluster else ""), stats.measured_at)
    hours = stats.uptime_s / 3600
    details = [f"Counters are cumulative since Redis last restarted {hours:,.1f} h ago "
               f"(uptime {stats.uptime_s:,} s).",
               "keyspace_hits and keyspace_misses count every read by every client, not only your "
               "cache's lookups; a query log gives per-layer rates."]
    if stats.cluster:
        for node in stats.nodes:
            details.append(f"primary {node.address}: {node.hits:,} hits, {node.misses:,} misses")
    details.extend(f"not counted: {p}" for p in stats.problems)
    restarted = session.compare(stats.display, stats.run_id, stats.hits, stats.misses)
    if restarted:
        details.insert(0, restarted)
    result = _judge(stats.hits, stats.misses, source, details)
    result = replace(result, metrics={**result.metrics, "uptime_s": stats.uptime_s, "restarted": bool(restarted)})
    if stats.problems:
        return replace(result, status=Status.WARN if result.status is Status.PASS else result.status,
                       hint=("Some primaries did not answer, so their counters are missing. "
                             + result.hint).strip())
    return result


def _from_report(ctx: Context, redis_note: str) -> Result:
    paths = find_files(ctx.folder, REPORT_FILES)
    if not paths:
        raise NotMeasured(
            f"{redis_note}, and no cache_metrics.json in {ctx.describe(ctx.folder)}.",
            "Start Redis (or set REDIS_URL), or write your measured rate into cache_metrics.json "
            "(python -m checks init DIR writes an example).",
        )
    path = paths[0]
    data = ctx.json(path, "cache_metrics")
    source = ctx.file_source(path, data.get("measured_at"))
    rate = float(data["cache_hit_rate"])
    details = [redis_note + "; using the reported figure instead."]
    if "window" in data:
        details.append(f"Reported window: {data['window']}")
    hits, misses = data.get("hits"), data.get("misses")
    if hits is not None and misses is not None:
        if hits + misses and abs(hits / (hits + misses) - rate) > 0.005:
            raise InputError(
                f"{ctx.describe(path)}: cache_hit_rate {rate:.3f} disagrees with hits/(hits+misses) "
                f"= {hits}/{hits + misses} = {hits / (hits + misses):.3f}",
                "Correct one of the numbers so that they agree.")
        return _judge(hits, misses, source, details, label="reported")
    metrics = {"hit_rate": rate, "request_hit_rate": None, "verdict_on": "report", "hits": None, "misses": None, "lookups": None, "bar": BAR,
               "interval_95": None, "reported": True}
    return Result(Status.WARN,
                  f"Reported, not measured: {_pct(rate)}, with no count of lookups behind it.",
                  source, "Add hits and misses to the file (or let the check read Redis) so the rate "
                  "can be judged; a rate without its sample size is not a verdict."
                  + ("" if rate >= BAR else " " + LOW_HINT),
                  f"hit rate {_pct(rate)} (reported)", metrics, tuple(details))


def _layer_details(traffic: Traffic | None) -> tuple[list[str], dict[str, float] | None]:
    if traffic is None or not traffic.layered:
        return [], None
    rates = traffic.layer_rates()
    line = (f"Per layer, from {traffic.layered:,} requests in the query log: "
            + ", ".join(f"{k} {rates[k]:.1%}" for k in HIT_LAYERS)
            + f"; full misses {rates['none']:.1%}.")
    return [line], rates


def _from_log(ctx: Context, traffic: Traffic, note: str) -> Result:
    hits = traffic.layered - traffic.layers["none"]
    details = [note + "; measuring from the query log's cache_layer field instead."]
    if traffic.stats.bad:
        details.append(f"{traffic.stats.bad:,} of {traffic.stats.lines:,} log lines were skipped.")
    return _judge(hits, traffic.layers["none"], ctx.log_source(traffic), details, key="request_hit_rate")


def _beside(result: Result, traffic: Traffic | None) -> Result:
    """The log's request hit rate next to the Redis figure the verdict is on, and why they differ."""
    if traffic is None or not traffic.layered or result.metrics.get("hit_rate") is None:
        return result
    request = 1 - traffic.layers["none"] / traffic.layered
    line = (f"Side by side: Redis key-lookup hit rate {_pct(result.metrics['hit_rate'])} (the verdict's, as the "
            f"notebook defines it); request hit rate {_pct(request)} from the query log's {traffic.layered:,} "
            "requests. " + WHY_TWO)
    return replace(result, details=(line,) + result.details,
                   metrics={**result.metrics, "request_hit_rate": request})


_MITIGATION = re.compile(r"mitigation|low hit rate|hit rate", re.IGNORECASE)


def find_mitigation(ctx: Context) -> str | None:
    """Where the learner documents a mitigation strategy for a hit rate under 30%, if anywhere.

    A section whose heading names a mitigation or the hit rate, with at least a few sentences
    of real words (template text does not count).
    """
    from .markdown import DOC_FILES, sections

    for path in find_files(ctx.folder, DOC_FILES):
        try:
            text = ctx.text(path)
        except InputError:
            continue
        for sec in sections(text):
            if _MITIGATION.search(sec.heading) and len(real_words(sec.body)) >= 20 \
                    and not find_placeholders(sec.body):
                return f"{path.name}, line {sec.line}"
    return None


def _with_mitigation(ctx: Context, result: Result) -> Result:
    """Below the bar, a documented mitigation strategy is what the notebook accepts instead."""
    rate = result.metrics.get("hit_rate")
    if result.metrics.get("verdict_on") == "log":
        rate = result.metrics.get("request_hit_rate")
    if result.status is not Status.WARN or rate is None or rate >= BAR or result.metrics.get("lookups") is None \
            or result.metrics["lookups"] < MIN_LOOKUPS:
        return result
    where = find_mitigation(ctx)
    if where is None:
        return replace(result, hint=result.hint + " Or document your mitigation strategy in a section headed "
                       "'Low hit rate mitigation' in failures_documentation.md: the notebook accepts that instead.")
    return replace(result, summary=result.summary + f" A mitigation strategy is documented ({where}).",
                   metrics={**result.metrics, "mitigation": where},
                   details=result.details + (f"Mitigation strategy documented in {where}: it counts towards "
                                             "readiness in place of the 30% bar.",))


def check(ctx: Context) -> Result:
    """Cache hit rate"""
    return _with_mitigation(ctx, _check(ctx))


def _check(ctx: Context) -> Result:
    unreachable = None  # the configured Redis that did not answer, for the summary line
    if ctx.config.sample:
        note = "Sample mode: Redis is not asked"
    elif ctx.redis is None:
        note = "Redis skipped (SKIP_REDIS=true or --no-redis)"
    else:
        try:
            stats = ctx.redis.stats()
        except NotMeasured as exc:
            note = exc.message
            unreachable = exc.message
        else:
            traffic = _safe_traffic(ctx)
            result = _from_redis(stats)
            if stats.hits + stats.misses == 0 and traffic is not None and traffic.layered:
                # A Redis restarted a moment ago has no counters yet; the log still knows the traffic.
                fresh = (f"Redis at {stats.display} has counted no lookups since it (re)started "
                         f"{stats.uptime_s:,} s ago")
                return _with_layers(_from_log(ctx, traffic, fresh), traffic)
            return _with_layers(_beside(result, traffic), traffic)
    traffic = _safe_traffic(ctx)
    if traffic is not None and traffic.layered:
        result = _from_log(ctx, traffic, note)
    else:
        result = _from_report(ctx, note)
    if unreachable is not None:
        result = _name_unreachable(ctx, result, unreachable)
    return _with_layers(result, traffic)


def _name_unreachable(ctx: Context, result: Result, message: str) -> Result:
    """A Redis the learner named but that did not answer is said on the summary line, and is never a pass:
    a typo in REDIS_URL must not look like a measured success."""
    summary = f"{message}. {result.summary}"
    if result.status is Status.PASS and ctx.config.redis_explicit:
        return replace(result, status=Status.WARN, summary=summary,
                       hint=f"Check REDIS_URL (or --redis): the Redis you named did not answer, so this is "
                            f"not the live figure. {result.hint}".strip())
    return replace(result, summary=summary)


def _safe_traffic(ctx: Context) -> Traffic | None:
    """The query log if it is usable; a broken log is reported by the checks that depend on it."""
    try:
        return ctx.traffic()
    except InputError:
        return None


def _with_layers(result: Result, traffic: Traffic | None) -> Result:
    lines, rates = _layer_details(traffic)
    if not lines:
        return result
    return replace(result, details=result.details + tuple(lines), metrics={**result.metrics, "layer_rates": rates})


def _charts(result: Result) -> list[str]:
    m = result.metrics
    out = []
    on_log = m.get("verdict_on") == "log"
    value = m.get("request_hit_rate") if on_log else m.get("hit_rate")
    if isinstance(value, (int, float)):
        out.append(charts.gauge("Cache hit rate against the bar", value, BAR,
                                "of requests (from the log)" if on_log else "of key lookups"))
    rates = m.get("layer_rates")
    if rates:
        out.append(charts.layer_rates(rates))
    return out


def _satisfied(result: Result) -> bool:
    """A pass, or the notebook's one exception: under 30% with a documented mitigation strategy."""
    return result.status is Status.PASS or (result.status is Status.WARN and bool(result.metrics.get("mitigation")))


CHECK = Check(ID, TITLE, BAR_TEXT, "checks/hit-rate/", check, ("hit_rate", "request_hit_rate", "hits", "misses"),
              _charts, _satisfied)
