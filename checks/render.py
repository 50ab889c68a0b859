"""Renderers: pure functions from results to text. They never compute and never print.

``to_terminal`` for the command line, ``to_json`` for scripts and CI,
``result_html`` and ``readiness_html`` for the pages.
"""

from __future__ import annotations

import json
import math
from html import escape
from typing import Any

from .registry import BY_ID
from .result import Report, Result, Status
from .text import terminal_safe

SYMBOLS = {Status.PASS: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "-", Status.ERROR: "E"}
ASCII_SYMBOLS = {Status.PASS: "+", Status.WARN: "!", Status.FAIL: "x", Status.SKIP: "-", Status.ERROR: "E"}
# Material for MkDocs admonition types: the colour follows the status.
ADMONITION = {Status.PASS: "success", Status.WARN: "warning", Status.FAIL: "failure",
              Status.SKIP: "note", Status.ERROR: "bug"}
LABEL = {Status.PASS: "PASS", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.SKIP: "SKIP",
         Status.ERROR: "ERROR"}


def _when(result: Result) -> str:
    at = result.source.measured_at
    return f", measured {at}" if at else ""


def _source_line(result: Result) -> str:
    label = " [SAMPLE DATA]" if result.sample else ""
    return f"source: {result.source.detail}{_when(result)}{label}"


def to_terminal(report: Report, verbose: bool = False, unicode: bool = True) -> str:
    symbols = SYMBOLS if unicode else ASCII_SYMBOLS
    dash = "—" if unicode else "-"
    lines = []
    for r in report.results:
        head = f"[{symbols[r.status]}] {r.title}"
        if r.value:
            head += f" {dash} {r.value}" + (f" {dash} {r.bar}" if r.bar else "")
        if r.sample:
            head += " [sample]"
        lines.append(head)
        if r.status is not Status.PASS and r.hint:
            lines.append(f"    {'→' if unicode else '->'} {r.hint}")
        lines.append(f"    {r.summary}")
        if verbose:
            lines.extend(f"    {d}" for d in r.details)
            lines.append(f"    {_source_line(r)}")
    lines.append("")
    f = report.forecast
    if f:
        lines.append("M2.2 forecast" + (" [sample]" if f.get("sample") else "") + f" {dash} {f['summary']}")
        if f.get("hint"):
            lines.append(f"    {'→' if unicode else '->'} {f['hint']}")
        if verbose and f["status"] == "forecast":
            lines.extend(f"    {line}" for line in forecast_lines(f))
        lines.append("")
    lines.append(("✓ " if unicode and report.ready else "") + report.readiness_summary)
    # Every line carries text from the learner's data (key names, queries, file contents): one line each.
    text = "\n".join(terminal_safe(line) for line in lines) + "\n"
    if not unicode:
        text = text.replace("≥", ">=").replace("→", "->").replace("–", "-").replace("·", "|").replace("×", "x")
        text = text.encode("ascii", "replace").decode("ascii")
    return text


def forecast_rows(f: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """(M2.2 step, its saving per month or None, what it rests on), one per part of a forecast: the terminal's
    ``-v`` lines and the page's table say the same thing."""
    from .cost_savings import money

    c, r, p = f["compression"], f["routing"], f["prompt_caching"]
    rows = [("Prompt compression (input tokens −30% to −50%)",
             f"{money(c['usd_per_month_low'])} – {money(c['usd_per_month_high'])}", _cap(c["assumes"]) + "."),
            (f"Routing simple calls to {r['to_model']}" if r["to_model"] else "Routing simple calls",
             money(r["usd_per_month"]) if r["to_model"] else None,
             f"{r['share']:.1%} of LLM calls scored simple; {r['routed_share']:.1%} would move (the rest are already "
             f"on a model at least as cheap). Method: {r['method']}. Target: {r['chosen']}. {_cap(r['assumes'])}.")]
    if p["available"]:
        rows.append((f"Provider prompt caching ({p['static_share']:.0%} fixed prompt)", money(p["usd_per_month"]),
                     f"{p['eligible_share']:.0%} of calls have a fixed part long enough to cache. Share: "
                     f"{p['static_share_from']}. {_cap(p['assumes'])}."))
    else:
        rows.append(("Provider prompt caching", None, "The price library has no cached-input rate for your models."))
    return rows


def forecast_notes(f: dict[str, Any]) -> list[str]:
    return [f"Token counts: {f['estimated']}.",
            f"Prices: {f['prices']['library']}, whose newest price change took effect {f['prices']['data_date']}; "
            "monthly figures are 30 days of your log's traffic.", *f["notes"]]


def forecast_lines(f: dict[str, Any]) -> list[str]:
    """The forecast's figures with what each assumes, for ``-v``."""
    comb = f["combined"]
    out = [f"{step}: {amount}/month. {why}" if amount else f"{step}: {why}" for step, amount, why in forecast_rows(f)]
    out.append(f["routing"]["quality_risk"])
    if "reduction_low" in comb:
        out.append(f"Combined: ${comb['baseline_usd_per_month']:,.2f}/month without a cache → "
                   f"${comb['after_cache_usd_per_month']:,.2f} with it (running costs included) → "
                   f"${comb['after_m22_usd_per_month_high']:,.2f}–${comb['after_m22_usd_per_month_low']:,.2f} after "
                   f"M2.2: {comb['reduction_low']:.1%}–{comb['reduction_high']:.1%} below the baseline, against the "
                   f"course's {comb['target_low']:.0%}–{comb['target_high']:.0%}.")
    return out + forecast_notes(f)


def finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None: JSON has no NaN or Infinity."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def to_json(report: Report) -> str:
    """Strict JSON (RFC 8259): a number that is not finite is written as null, never as NaN."""
    return json.dumps(finite(report.to_dict()), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def result_html(result: Result) -> str:
    """One result as a Material admonition whose colour follows its status."""
    e = escape
    sample = ' <span class="bridge-sample">sample data</span>' if result.sample else ""
    parts = [
        f'<div class="admonition {ADMONITION[result.status]} bridge-result" id="result-{e(result.id)}" '
        f'data-check="{e(result.id)}" data-status="{result.status.value}" '
        f'data-sample="{"true" if result.sample else "false"}">',
        f'<p class="admonition-title">{e(result.title)}: {LABEL[result.status]}{sample}</p>',
    ]
    if result.status is not Status.PASS and result.hint:
        parts.append(f'<p class="bridge-hint"><strong>Next step:</strong> {e(result.hint)}</p>')
    if result.value:
        bar = f" <span class=\"bridge-bar\">({e(result.bar)})</span>" if result.bar else ""
        parts.append(f'<p class="bridge-value"><strong>{e(result.value)}</strong>{bar}</p>')
    parts.append(f"<p>{e(result.summary)}</p>")
    if result.details:
        parts.append("<ul>" + "".join(f"<li>{e(d)}</li>" for d in result.details) + "</ul>")
    parts.extend(f'<figure class="bridge-figure">{svg}</figure>' for svg in _charts(result))
    label = " <strong>Sample data</strong>: these numbers are the course's, not yours." if result.sample else ""
    parts.append(f'<p class="bridge-source">Source: {e(result.source.detail)}{e(_when(result))}.{label}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def _charts(result: Result) -> list[str]:
    """The pictures a result's metrics support, as inline SVG: the check knows which."""
    check = BY_ID.get(result.id)
    return check.charts(result) if check is not None else []


SHORT_NAMES = {"hit_rate": "Hit rate", "cost_savings": "Cost savings", "failure_docs": "Failures",
               "query_diversity": "Diversity"}


def readiness_html(report: Report, base: str = "") -> str:
    """The first page's summary: four tiles, one row per check, and the verdict."""
    from . import charts

    e = escape
    kind = "success" if report.ready else "warning"
    rows = []
    for r in report.results:
        sample = ' <span class="bridge-sample">sample data</span>' if r.sample else ""
        link = f'<a href="{e(base + (BY_ID[r.id].page if r.id in BY_ID else ""))}">{e(r.title)}</a>'
        rows.append(f'<tr data-check="{e(r.id)}" data-status="{r.status.value}">'
                    f'<td>{link}</td><td class="bridge-status"><strong>{LABEL[r.status]}</strong>{sample}</td>'
                    f"<td>{e(r.value or '')}</td><td>{e(r.bar or '')}</td></tr>")
    samples = sum(1 for r in report.results if r.sample)
    value_head = "Sample value" if samples == len(report.results) else "Your value" if not samples else "Value"
    tiles = charts.tiles([(SHORT_NAMES.get(r.id, r.title), r.status.value, r.value or r.summary, r.title)
                          for r in report.results])
    return "\n".join([
        f'<div class="admonition {kind} bridge-readiness" data-ready="{"true" if report.ready else "false"}">',
        f'<p class="admonition-title">{"Ready for M2.2" if report.ready else "Not ready for M2.2 yet"}</p>',
        f"<p>{e(report.readiness_summary)}</p>",
        f'<figure class="bridge-figure">{tiles}</figure>',
        f"<table><thead><tr><th>Check</th><th>Status</th><th>{value_head}</th><th>Bar</th></tr></thead>",
        "<tbody>" + "".join(rows) + "</tbody></table>",
        f'<p class="bridge-source">Checked {e(report.generated_at)}.</p>',
        "</div>",
    ])


VERIFIED_ITEMS = (
    ("hit_rate", "a cache hit rate of <strong>at least 30%</strong>, or a documented mitigation strategy if it is "
                 "lower"),
    ("cost_savings", "a <strong>cost savings baseline</strong> recorded for tracking return on investment"),
    ("failure_docs", "<strong>all five production failures documented with their fixes</strong>"),
    ("query_diversity", "<strong>query diversity figures</strong> that choose your M2.2 optimisation focus"),
)
TEMPLATE_KEY_TEXT = {"verified": "seen in your live keys", "documented": "documented",
                     "missing": "not in your keys", "unknown": "not shown yet", "error": "could not be judged"}


def verified_html(report: Report, base: str = "") -> str:
    """"What you will have verified", ticked from this run: an item is ticked only when its check is
    satisfied on the learner's own data; sample data never ticks one."""
    e = escape
    items = []
    for check_id, text in VERIFIED_ITEMS:
        r = report.get(check_id)
        page = BY_ID[check_id].page if check_id in BY_ID else ""
        done = bool(r is not None and r.satisfies and not r.sample)
        state = ("not run" if r is None else LABEL[r.status] + (" on sample data" if r.sample else ""))
        items.append((done, f'{text} (<a href="{e(base + page)}">{e(r.title if r else check_id)}</a>: '
                            f'<strong>{e(state)}</strong>)', check_id, r.status.value if r else "skip"))
    tk = report.template_keys or {"status": "unknown", "summary": "Not judged (a selection of checks ran).",
                                  "sample": False}
    done5 = tk["status"] in ("verified", "documented") and not tk.get("sample")
    state5 = TEMPLATE_KEY_TEXT.get(tk["status"], tk["status"]) + (" on sample data" if tk.get("sample") else "")
    items.append((done5, "that you are <strong>ready to add prompt optimisation without breaking the cache you "
                         "already have</strong>: your cache keys include the model and the prompt-template version, "
                         f"so M2.2's new templates and routes never read entries made for the old ones "
                         f"(<strong>{e(state5)}</strong>: {e(tk['summary'])})", "template_keys", tk["status"]))
    lis = "".join(
        f'<li class="task-list-item" data-item="{e(cid)}" data-done="{"true" if done else "false"}" '
        f'data-status="{e(status)}"><label class="task-list-control"><input type="checkbox" disabled'
        f'{" checked" if done else ""}/><span class="task-list-indicator"></span></label> {html}</li>'
        for done, html, cid, status in items)
    ticked = sum(1 for done, *_ in items if done)
    return (f'<div class="bridge-verified" data-ticked="{ticked}"><p>{ticked} of {len(items)} shown on your own data '
            f"so far.</p><ul class=\"task-list\">{lis}</ul></div>")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def forecast_html(f: dict[str, Any] | None) -> str:
    """The M2.2 forecast as a result box with its waterfall, or why there is none."""
    from . import charts

    e = escape
    if not f:
        return ('<div class="admonition note bridge-forecast" data-status="skip"><p class="admonition-title">'
                "Your M2.2 forecast</p><p>No forecast: a selection of checks ran.</p></div>")
    sample = f.get("sample")
    badge = ' <span class="bridge-sample">sample data</span>' if sample else ""
    head = (f'<div class="admonition {"info" if f["status"] == "forecast" else "note" if f["status"] == "skip" else "bug"}'
            f' bridge-forecast" data-status="{e(f["status"])}" data-sample="{"true" if sample else "false"}">'
            f'<p class="admonition-title">Your M2.2 forecast{badge}</p>')
    if f["status"] != "forecast":
        return (head + f'<p class="bridge-hint"><strong>Next step:</strong> {e(f.get("hint", ""))}</p>'
                f"<p>{e(f['summary'])}</p></div>")
    c, r, comb = f["compression"], f["routing"], f["combined"]
    body = "".join(f"<tr><td>{e(step)}</td><td>" + (f"<strong>{e(amount)}</strong>/month" if amount else "—")
                   + f"</td><td>{e(why)}</td></tr>" for step, amount, why in forecast_rows(f))
    parts = [head, f"<p>{e(f['summary'])}</p>",
             "<table><thead><tr><th>M2.2 step</th><th>Saving</th><th>What it assumes</th></tr></thead>"
             f"<tbody>{body}</tbody></table>"]
    if "reduction_low" in comb:
        parts.append(f'<p class="bridge-value"><strong>{comb["reduction_low"]:.0%}–{comb["reduction_high"]:.0%} '
                     f"below the no-cache baseline</strong> after the cache and M2.2 "
                     f"(course target {comb['target_low']:.0%}–{comb['target_high']:.0%}). "
                     f"{e(_cap(comb['assumes']))}.</p>")
        svg = charts.waterfall(comb["baseline_usd_per_month"], comb["after_cache_usd_per_month"],
                               (c["usd_per_month_low"], c["usd_per_month_high"]),
                               (comb["m22_usd_per_month_low"], comb["m22_usd_per_month_high"]),
                               (comb["target_low"], comb["target_high"]))
        parts.append(f'<figure class="bridge-figure">{svg}</figure>')
    parts.append(f'<p class="bridge-risk"><strong>Quality risk:</strong> {e(r["quality_risk"])}</p>')
    notes = forecast_notes(f)
    parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    label = " <strong>Sample data</strong>: the course's figures, not yours." if sample else ""
    src = f.get("source") or {}
    when = f", measured {src['measured_at']}" if src.get("measured_at") else ""
    parts.append(f'<p class="bridge-source">Source: {e(src.get("detail", ""))}{e(when)}.{label}</p></div>')
    return "\n".join(parts)


def similarity_rule_html(result: Result) -> str:
    """The recap's "more than 30% similar" rule beside the share of queries that clear each threshold."""
    e = escape
    m = result.metrics
    sample = ' <span class="bridge-sample">sample data</span>' if result.sample else ""
    head = (f'<div class="admonition info bridge-similarity" data-sample="{"true" if result.sample else "false"}">'
            f'<p class="admonition-title">Your queries{sample}</p>')
    dist, answered = m.get("similarity_distribution"), m.get("answered_by_threshold")
    if m.get("method") != "replay" or not dist or not answered:
        return (head + "<p>Not measured: the replay needs a query log with the query text (or a CSV with a "
                f"<code>query</code> column). Query diversity check: {e(LABEL[result.status])}, "
                f"{e(result.summary)}</p></div>")
    over_30 = sum(v for k, v in dist.items() if not k.startswith("0-"))
    default = m.get("default_threshold")
    rows = [("Nearest earlier query more than 30% similar (the rule of thumb)", f"{over_30:.1%}")]
    rows += [(f"… clears a threshold of {t}" + (" (the default for this similarity)" if default is not None
                                                and abs(float(t) - default) < 1e-9 else ""), f"{v:.1%}")
             for t, v in answered.items()]
    body = "".join(f"<tr><td>{e(a)}</td><td><strong>{e(b)}</strong></td></tr>" for a, b in rows)
    label = " <strong>Sample data</strong>: the course's figures, not yours." if result.sample else ""
    return (head + "<table><thead><tr><th>Share of requests whose…</th><th>Share</th></tr></thead>"
            f"<tbody>{body}</tbody></table><p class=\"bridge-source\">Similarity: {e(str(m.get('similarity')))}; "
            f"source: {e(result.source.detail)}{e(_when(result))}.{label}</p></div>")


def worked_example_html(result: Result) -> str:
    """The recap's table recomputed with the figures behind a cost result, or why it cannot be."""
    e = escape
    example = result.metrics.get("worked_example")
    sample = ' <span class="bridge-sample">sample data</span>' if result.sample else ""
    if not example:
        return (f'<div class="admonition note bridge-example" data-sample="{"true" if result.sample else "false"}">'
                f'<p class="admonition-title">Your figures{sample}</p>'
                "<p>Not enough figures to recompute the example: add <code>queries_per_day</code>, "
                "<code>cache_hit_rate</code> and <code>cost_per_miss</code> (or a baseline) to "
                f"<code>cost_analytics.json</code>. Cost check: {e(LABEL[result.status])}, {e(result.summary)}</p></div>")
    # Each figure is computed from the ones shown above it, so the table adds up by hand.
    misses = round(example["misses_per_day"])
    per_miss = round(example["cost_per_miss"], 5)
    daily = round(misses * per_miss, 2)
    rows = [("Queries per day", f"{example['queries_per_day']:,.0f}"),
            (f"Cache misses per day ({example['miss_rate']:.1%} of requests: 1 − the request hit rate)",
             f"{misses:,}"),
            ("Cost per miss", f"${per_miss:.5f}"),
            (f"Daily cost of the misses ({misses:,} × ${per_miss:.5f})", f"${daily:,.2f}"),
            (f"Monthly cost (30 days × ${daily:,.2f})", f"${daily * 30:,.2f}")]
    body = "".join(f"<tr><td>{e(k)}</td><td><strong>{e(v)}</strong></td></tr>" for k, v in rows)
    label = " <strong>Sample data</strong>: the course's figures, not yours." if result.sample else ""
    return (f'<div class="admonition info bridge-example" data-sample="{"true" if result.sample else "false"}">'
            f'<p class="admonition-title">Your figures{sample}</p>'
            f"<table><tbody>{body}</tbody></table>"
            f'<p class="bridge-source">Source: {e(result.source.detail)}{e(_when(result))}.{label}</p></div>')


SOURCE_NAMES = {
    "bank77": "Banking77 support questions (PolyAI, CC BY 4.0): need = the intent",
    "hint3sofm": "HINT3 SOFMattress support-bot queries (Haptik, ODbL): need = the intent",
    "hint3cure": "HINT3 Curekart support-bot queries (Haptik, ODbL): need = the intent",
    "hint3powe": "HINT3 Powerplay11 support-bot queries (Haptik, ODbL): need = the intent",
    "clinc": "CLINC150 assistant queries, 33 parameter-free intents (CC BY 3.0)",
    "hwu64": "HWU64 home-assistant commands (CC BY 4.0): need = intent + entity values",
    "snips": "SNIPS voice-assistant commands (CC0): need = intent + slot values",
    "qqp": "Quora Question Pairs, via GPTCache's benchmark: need = duplicate cluster",
    "gptmock": "GPTCache's benchmark paraphrases of documentation sentences (MIT)",
    "twitter": "Twitter URL corpus sample (CC BY-NC-SA 3.0): need = the linked story",
    "idvariant": "synthetic support questions that differ only in an id, amount, date, city or product",
    "nlupp": "NLU++ banking and hotel queries (PolyAI, CC BY 4.0): need = intent labels + slot values",
    "arbank": "ArBanking77, Arabic (CC BY-SA 4.0): need = the intent",
}


def repeat_accuracy_html(card: dict) -> str:
    """The leave-one-source-out table: per source, the true repeat share of its logs against the estimate of a
    judge fitted without that source."""
    e = escape
    rows: dict[str, list[dict]] = {}
    for r in card["held_out"]:
        rows.setdefault(r["source"], []).append(r)
    body = []
    for source, logs in sorted(rows.items(), key=lambda kv: (not kv[1][0]["fitted"], kv[0])):
        gaps = [100 * (r["estimated"] - r["true"]) for r in logs]
        true = " / ".join(f"{100 * r['true']:.0f}%" for r in logs)
        estimated = " / ".join(f"{100 * r['estimated']:.0f}%" for r in logs)
        note = "" if logs[0]["fitted"] else " (measured, never fitted on)"
        body.append(f"<tr><td>{e(SOURCE_NAMES.get(source, source))}{e(note)}</td><td>{len(logs)}</td>"
                    f"<td>{e(true)}</td><td>{e(estimated)}</td>"
                    f"<td>{sum(abs(g) for g in gaps) / len(gaps):.1f}</td></tr>")
    lo, hi = card["loso_interval"]
    fitted = [r for r in card["held_out"] if r["fitted"]]
    return ("<table><thead><tr><th>Held-out source (its logs' true share of repeated needs)</th><th>Logs</th>"
            "<th>True</th><th>Estimated without it</th><th>Mean error (points)</th></tr></thead><tbody>"
            + "".join(body) + "</tbody></table>"
            f"<p>Over the {len(fitted)} logs of the {len(card['sources'])} fitted sources, each estimated by a judge "
            f"fitted without any log of its source, the estimate is off by <strong>"
            f"{card['loso_mean_abs_error_pp']:.1f} points</strong> on average; the truth lay between "
            f"{100 * lo:+.0f} and {100 * hi:+.0f} points of the estimate for 80% of them, which is the interval "
            f"every result shows. Judge <code>{e(card['name'])}</code>, fitted {e(card['fitted_on'])} by "
            "<code>scripts/fit_repeat_judge.py</code>.</p>")
