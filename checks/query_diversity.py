"""Check 4: query diversity, and the M2.2 focus it implies.

Above 70% diversity few queries repeat, so a cache has little to catch and
M2.2 should focus on prompt compression; below 30% the cache can catch much
more, so semantic cache tuning comes first; in between, both matter.
"""

from __future__ import annotations

import csv
import io

from . import charts
from .check import Check
from .context import Context
from .errors import InputError, NotMeasured
from .files import find_files, read_text
from .result import Result, Status
from .queries import Distinct, Replay, normalise
from .result import Source
from .traffic import Traffic

ID = "query_diversity"
TITLE = "Query diversity and M2.2 focus"
HIGH, LOW = 0.70, 0.30
BAR_TEXT = "> 70% compression · < 30% cache tuning"
JSON_FILES = ["query_diversity.json", "diversity_metrics.json"]
CSV_FILES = ["query_diversity.csv"]
MIN_QUERIES = 100  # a diversity figure from fewer queries says little about real traffic
BUCKETS = ("0-30%", "30-70%", "70-100%")

RECOMMENDATIONS = {
    "prompt_compression": (
        "High diversity (> 70%): focus M2.2 on prompt compression.",
        "Few queries repeat, so the cache has little left to catch: make each query cheaper."),
    "semantic_cache_tuning": (
        "Low diversity (< 30%): focus on semantic cache tuning.",
        "Many queries resemble earlier ones, so the cache can catch far more: maximise its efficiency."),
    "balanced": (
        "Medium diversity (30–70%): a balanced approach, caching plus prompt optimisation.",
        "Both strategies contribute significantly."),
}


def recommend(diversity: float) -> str:
    if diversity > HIGH:
        return "prompt_compression"
    if diversity < LOW:
        return "semantic_cache_tuning"
    return "balanced"


def _from_csv(ctx: Context, path) -> tuple[float, dict, list[str]] | Result:
    text = read_text(path)
    name = ctx.describe(path)
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = [c.strip().lower() for c in (reader.fieldnames or [])]
        if "diversity_score" not in columns and "query" not in columns:
            raise InputError(f"{name}, line 1: expected a 'query' or a 'diversity_score' column, "
                             f"found {', '.join(columns)[:200] or 'no header'}",
                             "See the data formats page for the CSV columns.")
        reader.fieldnames = columns
        return _csv_rows(ctx, path, reader, columns, name)
    except csv.Error as exc:
        raise InputError(f"{name}, line {reader.line_num}: not a readable CSV file ({exc})",
                         "One query per row under a 'query' header; a query holding a comma goes in double "
                         "quotes.") from None


def _csv_rows(ctx: Context, path, reader: csv.DictReader, columns: list[str],
              name: str) -> tuple[float, dict, list[str]] | Result:
    scores: list[float] = []
    queries = Distinct()
    for row in reader:
        lineno = reader.line_num
        if "diversity_score" in columns:
            raw = (row.get("diversity_score") or "").strip()
            try:
                score = float(raw)
            except ValueError:
                raise InputError(f"{name}, line {lineno}: diversity_score {raw!r} is not a number") from None
            if not 0 <= score <= 1:
                raise InputError(f"{name}, line {lineno}: diversity_score {score} is outside 0–1")
            scores.append(score)
        else:
            query = row.get("query") or ""
            if not normalise(query):
                continue
            queries.add(float(len(queries.ids)), query)  # rows in order: one request each
    if scores:
        diversity = sum(scores) / len(scores)
        return diversity, {"total_queries": len(scores), "method": "mean of diversity_score rows"}, []
    if not queries.ids:
        raise InputError(f"{name}: no queries in the file", "Add one query per row under a 'query' header.")
    from .similarity import replay

    rp = replay(queries, None, vector_cache=ctx.vector_cache(), threshold=ctx.config.replay_threshold)
    note = "Each row is one request, in file order; the CSV has no times, so no entry expires."
    return _from_replay(ctx, rp, ctx.file_source(path), extra_details=[note], norms=queries.norms)


TEXT_CAVEAT = (
    "The embedding model could not run, so similarity here is the fallback text similarity (cosine over "
    "character 3-grams). It sees shared spelling, not shared meaning, and it errs in both directions: "
    "paraphrases that share few words score low (diversity over-stated), and queries that differ only in "
    "an id or a number score high (diversity under-stated). Do not choose your M2.2 focus from it: run the "
    "README's set-up so the embedding model is installed, or add your own vectors to the log."
)
EMBEDDING_NOTE = (
    "Similarity is the cosine between sentence embeddings of the query text, from the static model shipped "
    "with the checks (distilled from all-MiniLM-L6-v2), at its calibrated threshold of {threshold:.2f}. "
    "Its accuracy, measured on public labelled paraphrase data, is on the query-diversity page; your own "
    "semantic cache's embedding model and threshold may differ, and its vectors in the log (the embedding "
    "field) are used in preference when every query has one."
)
VECTOR_NOTE = ("Similarity is the cosine between the vectors your embedding model wrote into the log: the scale "
               "your semantic cache's threshold is set on.")


def similarity_label(mode: str) -> str:
    if mode == "embedding":
        from .embedding import label

        return label()
    return mode


FALSE_HIT_WARN = 0.10  # this share of a simulated cache's answers naming another id, amount, date or place warns
FALSE_HIT_MIN = 20  # ... once it has answered at least this many requests
OTHER_SCRIPT_WARN = 0.30  # this share of queries without a Latin letter: the judge's accuracy is unmeasured there


def _from_traffic(ctx: Context, t: Traffic) -> Result:
    rp = t.replay(ctx.config.replay_ttl_s, ctx.vector_cache(), ctx.config.replay_threshold)
    skipped = (t.stats.bad, t.stats.lines, t.stats.problems or []) if t.stats.bad else None
    return _from_replay(ctx, rp, ctx.log_source(t), skipped, measured_hit_rate=t.hit_rate, norms=t.queries.norms)


def _other_script_share(norms: list[str]) -> float:
    """The share of the distinct queries with letters that have no Latin one (numbers, symbols and emoji alone
    are not another language)."""
    worded = [n for n in norms if any(ch.isalpha() for ch in n)]
    if not worded:
        return 0.0
    latin = sum(1 for n in worded if any("a" <= ch <= "z" or "\u00e0" <= ch <= "\u024f" for ch in n))
    return 1 - latin / len(worded)


def _from_replay(ctx: Context, rp: Replay, source: Source, skipped: tuple[int, int, list[str]] | None = None,
                 extra_details: list[str] | None = None, measured_hit_rate: float | None = None,
                 norms: list[str] | None = None) -> Result:
    diversity = rp.diversity_score
    rec = recommend(diversity)
    headline, reason = RECOMMENDATIONS[rec]
    groups = [{"query": None if ctx.config.redact else text, "count": n} for text, n in rp.top_groups]
    est = rp.repeat
    own = rp.threshold if rp.threshold is not None and rp.threshold in rp.answered else None
    at = own if own is not None else rp.default_threshold
    cache_answered, cache_wrong = rp.answered[at], rp.false_hits.get(at, 0.0)
    answered_n = rp.similar_hits.get(at, round(cache_answered * rp.requests))  # the answers by similarity
    if est is not None:
        potential, low, high = est.potential, est.low, est.high
        method = est.method
    else:  # the 3-gram fallback: what a cache at its threshold would answer is the only estimate
        potential = low = high = 1 - diversity
        method = f"replay:text@{rp.default_threshold:.2f}"
    metrics = {
        "diversity_score": diversity, "recommendation": rec, "method": "replay",
        "repeat_potential": potential, "repeat_interval": [low, high], "repeat_method": method,
        "repeat_error_pp": est.loso_error_pp if est is not None else None,
        "repeat_judged": est.judged if est is not None else None,
        "similarity": similarity_label(rp.mode), "default_threshold": rp.default_threshold,
        "cache_threshold": at, "cache_threshold_from": "yours" if own is not None else "default",
        "cache_answered": cache_answered, "cache_false_hit_share": cache_wrong,
        "answered_by_threshold": {f"{k:.2f}": v for k, v in rp.answered.items()},
        "false_hit_share_by_threshold": {f"{k:.2f}": v for k, v in rp.false_hits.items()},
        "measured_hit_rate": measured_hit_rate,
        "potential_gap": None if measured_hit_rate is None else potential - measured_hit_rate,
        "exact_repeat_share": rp.exact_repeat_share, "total_queries": rp.requests, "unique_patterns": rp.distinct,
        "similarity_distribution": rp.buckets, "distribution_sample": rp.buckets_sampled,
        "replay_ttl_s": rp.ttl_s, "top_groups": groups, "measured": True,
    }
    ttl = f", entries expiring after {rp.ttl_s:,.0f} s" if rp.ttl_s else ""
    within = f" within {rp.ttl_s:,.0f} s" if rp.ttl_s else ""
    details = [reason]
    if est is not None:
        details.append(
            f"Repeat potential: {potential:.1%} of the {rp.requests:,} requests ask for something already asked "
            f"earlier{within} (the most any cache could answer), likely between {low:.0%} and {high:.0%}. Exact repeats "
            f"are {est.exact_share:.1%}; the rest is a judge's estimate of paraphrases, with the false-hit guard "
            f"(queries that name different ids, numbers, dates or places are different needs). On public labelled "
            f"logs from sources it was not fitted to, the judge's estimate was off by {est.loso_error_pp:.0f} points "
            "on average; the query-diversity page has the table. Diversity = 1 − the repeat potential.")
    details.append(
        f"A semantic cache at {at:.2f} ({'your threshold' if own is not None else 'the default for this similarity'}) "
        f"would have answered {cache_answered:.1%} of requests ({rp.requests:,} replayed, {rp.distinct:,} distinct "
        f"after normalising, in time order{ttl}); of its answers by similarity (not the same text), {cache_wrong:.0%} "
        "came from an entry naming another id, number, date or place, so would likely be wrong. By threshold: "
        + ", ".join(f"{k:.2f} → {v:.1%} ({rp.false_hits.get(k, 0.0):.0%} likely wrong)" for k, v in rp.answered.items())
        + ".")
    if own is not None and rp.mode == "embedding":
        details.append("Your threshold was applied to the shipped model's similarity, whose scale differs from your "
                       "cache's embedding model: log your vectors (the embedding field) to replay on your own scale.")
    if measured_hit_rate is not None:
        gap = potential - measured_hit_rate
        if gap > 0.02:
            said = (f"{gap * 100:.0f} points below the repeat potential, which is what tuning the semantic cache "
                    "could still win.")
        elif measured_hit_rate > high + 0.02:
            said = (f"more than the repeat potential ({potential:.0%}, at most {high:.0%}) allows: some of its answers "
                    "are likely for a different need (false hits). Check the semantic layer's threshold and what it "
                    "matches on.")
        else:
            said = "about as much as the repeat potential: tuning the cache has little left to win."
        details.append(f"Your own cache answered {measured_hit_rate:.1%} of requests (the log's cache_layer): {said}")
    details += [
        f"Exact repeats (after normalising case, punctuation and spacing): {rp.exact_repeat_share:.1%} of requests.",
        "Similarity to the most similar earlier query: "
        + ", ".join(f"{k}: {rp.buckets[k]:.1%}" for k in BUCKETS)
        + (f" (the split below 70% estimated from a uniform sample of {rp.buckets_sampled:,} queries)"
           if rp.buckets_sampled else "") + ".",
        {"vectors": VECTOR_NOTE, "embedding": EMBEDDING_NOTE.format(threshold=rp.default_threshold)}
        .get(rp.mode, TEXT_CAVEAT),
        *(est.notes if est is not None else ()),
        *rp.notes,
        *(extra_details or []),
    ]
    if groups:
        details.append("Most repeated queries: " + "; ".join(
            (f"query #{i} (text hidden)" if g["query"] is None else f"“{g['query']}”") + f" ×{g['count']:,}"
            for i, g in enumerate(groups, 1)))
    value = f"diversity {diversity:.1%} → {rec.replace('_', ' ')}"
    where = f" (repeat potential {potential:.0%}, likely {low:.0%}–{high:.0%})" if est is not None else ""
    if rp.requests < MIN_QUERIES:
        return Result(Status.WARN,
                      f"Diversity {diversity:.1%}{where} from only {rp.requests} queries is a weak guide. {headline}",
                      source, f"Replay at least {MIN_QUERIES} real queries before choosing your M2.2 focus.",
                      value, metrics, tuple(details))
    if rp.mode == "text":
        return Result(Status.WARN,
                      f"Diversity {diversity:.1%} from the fallback text similarity, which can err either way. "
                      f"{headline}", source, "Install the embedding model (the README's set-up) and run again.",
                      value, metrics, tuple(details))
    # Several warnings can hold at once: each is said, the most consequential first.
    warnings: list[tuple[str, str]] = []
    if cache_wrong >= FALSE_HIT_WARN and answered_n >= FALSE_HIT_MIN:
        warnings.append((
            f"{cache_wrong:.0%} of a semantic cache's answers at {at:.2f} would answer the wrong order: they come "
            "from a query naming another id, number, date or place.",
            "Keep ids, amounts, dates and names out of what the semantic layer matches on (put them in the cache "
            "key, or skip the semantic layer for queries that name one), or raise its threshold; the failures "
            "page's section on semantic collisions shows how."))
    other = _other_script_share(norms or [])
    if other > OTHER_SCRIPT_WARN:
        details.append(f"{other:.0%} of the distinct queries have no Latin letter: the sentence model reads English, "
                       "and the judge's accuracy was measured on English logs only.")
        warnings.append((f"{other:.0%} of queries are in scripts the similarity model was not measured on.",
                         "Treat the figure as rough: exact repeats are counted exactly, paraphrases in other "
                         "languages may be missed."))
    if skipped:
        bad, lines, problems = skipped
        details.extend(problems)
        warnings.append((f"{bad:,} of {lines:,} log lines were skipped.",
                         "Fix or remove the lines named below so that every request counts."))
    if warnings:
        return Result(Status.WARN,
                      " ".join(w for w, _ in warnings) + f" Diversity {diversity:.1%}{where}. {headline}", source,
                      " ".join(h for _, h in warnings), value, metrics, tuple(details))
    return Result(Status.PASS,
                  f"Diversity {diversity:.1%}{where} over {rp.requests:,} requests. {headline}",
                  source, "", value, metrics, tuple(details))


def check(ctx: Context) -> Result:
    """Query diversity and M2.2 focus"""
    traffic = ctx.traffic()
    if traffic is not None and len(traffic.queries.ids):
        return _from_traffic(ctx, traffic)
    json_paths = find_files(ctx.folder, JSON_FILES)
    csv_paths = find_files(ctx.folder, CSV_FILES)
    if not json_paths and not csv_paths:
        raise NotMeasured(
            f"No query_diversity.json, query_diversity.csv or diversity_metrics.json in "
            f"{ctx.describe(ctx.folder)}.",
            "Export your queries (one per row under a 'query' header) to query_diversity.csv, or "
            "record diversity_score in query_diversity.json; python -m checks init DIR writes examples.")
    details: list[str] = []
    if json_paths:
        path = json_paths[0]
        data = ctx.json(path, "query_diversity")
        diversity = float(data.get("diversity_score", data.get("average_diversity")))
        extra = {k: data[k] for k in ("total_queries", "unique_patterns", "similarity_distribution") if k in data}
        extra["method"] = "reported summary"
        details.append("Read as reported in the file: not measured by these checks.")
        measured_at = data.get("measured_at")
        _consistency(ctx.describe(path), diversity, data, details)
    else:
        path = csv_paths[0]
        outcome = _from_csv(ctx, path)
        if isinstance(outcome, Result):
            return outcome
        diversity, extra, details = outcome
        measured_at = None
    source = ctx.file_source(path, measured_at)
    rec = recommend(diversity)
    headline, reason = RECOMMENDATIONS[rec]
    metrics = {"diversity_score": diversity, "recommendation": rec, **extra}
    details = [reason, *details]
    value = f"diversity {diversity:.1%} → {rec.replace('_', ' ')}"
    total = extra.get("total_queries")
    if total is not None and total < MIN_QUERIES:
        return Result(Status.WARN,
                      f"Diversity {diversity:.1%} from only {total} queries is a weak guide. {headline}",
                      source, f"Measure over at least {MIN_QUERIES} real queries before choosing your M2.2 focus.",
                      value, metrics, tuple(details))
    if total is None:
        return Result(Status.WARN,
                      f"Diversity {diversity:.1%}, with no count of queries behind it. {headline}",
                      source, "Add total_queries to the file so the figure's weight can be judged.",
                      value, metrics, tuple(details))
    return Result(Status.PASS, f"Diversity {diversity:.1%} over {total:,} queries. {headline}",
                  source, "", value, metrics, tuple(details))


def _consistency(name: str, diversity: float, data: dict, details: list[str]) -> None:
    """The summary's numbers must not contradict each other."""
    dist = data.get("similarity_distribution")
    if dist:
        total = sum(dist.values())
        if abs(total - 1) > 0.02:
            raise InputError(f"{name}: similarity_distribution adds up to {total:.0%}, not 100%",
                             "Each bucket is a share of all queries; together they make 100%.")
        details.append("Similarity to the nearest earlier query: "
                       + ", ".join(f"{k}: {dist[k]:.0%}" for k in BUCKETS if k in dist))
    total, unique = data.get("total_queries"), data.get("unique_patterns")
    if total and unique is not None:
        if unique > total:
            raise InputError(f"{name}: unique_patterns ({unique}) is more than total_queries ({total})")
        details.append(f"{unique:,} unique patterns in {total:,} queries ({unique / total:.1%}).")


def _charts(result: Result) -> list[str]:
    m = result.metrics
    out = []
    score = m.get("diversity_score")
    if isinstance(score, (int, float)) and m.get("recommendation") in RECOMMENDATIONS:
        out.append(charts.diversity_scale(score, LOW, HIGH, RECOMMENDATIONS[m["recommendation"]][0]))
    if m.get("method") == "replay" and m.get("similarity_distribution"):
        out.append(charts.similarity_distribution(m["similarity_distribution"]))
    return out


CHECK = Check(ID, TITLE, BAR_TEXT, "checks/query-diversity/", check, ("diversity_score", "recommendation"), _charts)
