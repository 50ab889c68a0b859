"""The M2.2 forecast: every figure of a day of traffic with known tokens, against a hand computation;
the routing target from the price library (never a retired model); what it says without a log."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from checks import Config, run
from checks.render import to_json, to_terminal
from conftest import ROOT, run_cli

# Own prices, so that every figure can be computed by hand (dollars per million tokens).
BIG_IN, BIG_OUT, BIG_CACHED = 10.0, 30.0, 5.0
SMALL_IN, SMALL_OUT = 1.0, 2.0
PRICES = {"models": {"big": {"input_usd_per_mtok": BIG_IN, "output_usd_per_mtok": BIG_OUT,
                             "cached_input_usd_per_mtok": BIG_CACHED},
                     "small": {"input_usd_per_mtok": SMALL_IN, "output_usd_per_mtok": SMALL_OUT}},
          "retrieval_usd_per_query": 0, "redis_usd_per_month": 0.3,
          "route_simple_to": "small", "static_prompt_share": 0.6}
SHORT = "reset my password"  # 3 words, no reasoning word: simple when the answer is short
WHY = "why does billing fail when I compare plans"  # a reasoning word: never simple
LONG = "how do I move every archived project of my team into the new workspace before it closes down"  # 19 words


def write(folder: Path, records: list[dict], prices: dict | None = PRICES) -> None:
    (folder / "query_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    if prices is not None:
        (folder / "prices.json").write_text(json.dumps(prices), encoding="utf-8")


def day_of_traffic() -> list[dict]:
    """Eleven requests over exactly one day (ts 0 .. 86400)."""
    rows = ([("none", SHORT, 2000, 0, 100)] * 4 + [("context", WHY, 3000, 1000, 400)] * 2
            + [("embedding", LONG, 1000, 0, 100)] * 2 + [("response", SHORT, 2000, 0, 100)] * 2)
    out = []
    for i, (layer, query, tin, cached, tout) in enumerate(rows):
        rec = {"ts": i * 86400 / len(rows), "query": query, "cache_layer": layer, "model": "big",
               "input_tokens": tin, "output_tokens": tout}
        if cached:
            rec["cached_input_tokens"] = cached
        out.append(rec)
    out.append({"ts": 86400, "query": SHORT, "cache_layer": "none", "model": "big"})  # no tokens: estimated
    return out


def on_model(model: str) -> list[dict]:
    """The day of traffic, every request on ``model``."""
    return [{**rec, "model": model} for rec in day_of_traffic()]


def forecast_of(folder: Path, **kw) -> dict:
    report = run(Config(data_dir=folder, use_redis=False, use_cache=False, **kw))
    return json.loads(to_json(report))["forecast"]


def test_every_figure_of_a_day_of_traffic_matches_a_hand_computation(tmp_path):
    write(tmp_path, day_of_traffic())
    f = forecast_of(tmp_path)
    assert f["status"] == "forecast" and f["sample"] is False
    M = 1e-6
    # LLM calls the cache still makes: 4 misses, 2 context hits, 2 embedding hits priced; 1 miss without tokens.
    miss_in, miss_out = 2000 * BIG_IN * M, 100 * BIG_OUT * M                      # 0.020, 0.003 each
    ctx_in, ctx_out = 2000 * BIG_IN * M + 1000 * BIG_CACHED * M, 400 * BIG_OUT * M  # 0.025, 0.012 each
    emb_in, emb_out = 1000 * BIG_IN * M, 100 * BIG_OUT * M                        # 0.010, 0.003 each
    per_month = 30 / 1.0 * (9 / 8)  # a one-day log; 9 LLM calls, 8 priced: the ninth at their mean
    assert f["llm_calls"] == 9 and f["estimated_share"] == pytest.approx(1 / 9)

    inputs = 4 * miss_in + 2 * ctx_in + 2 * emb_in
    c = f["compression"]
    assert (c["cut_low"], c["cut_high"]) == (0.30, 0.50)
    assert c["usd_per_month_low"] == pytest.approx(0.30 * inputs * per_month)
    assert c["usd_per_month_high"] == pytest.approx(0.50 * inputs * per_month)

    # Routing: only the four misses are simple (short query, 100 output tokens); to "small" as named.
    r = f["routing"]
    small_in, small_out = 2000 * SMALL_IN * M, 100 * SMALL_OUT * M
    assert r["to_model"] == "small" and r["share"] == pytest.approx(4 / 8)
    assert r["usd_per_month"] == pytest.approx(4 * (miss_in + miss_out - small_in - small_out) * per_month)
    assert "words" in r["method"] and "output tokens" in r["method"] and "5%" in r["quality_risk"]

    # Prompt caching at 60%: misses 1,200-token fixed prefix (cached: 1,200 × $5/M saved each); context hits
    # 1,800 of which 1,000 are cached already (800 more each); embedding hits 600 < 1,024: nothing.
    p = f["prompt_caching"]
    saved = (4 * 1200 + 2 * (1800 - 1000)) * (BIG_IN - BIG_CACHED) * M
    assert p["available"] is True and p["static_share"] == 0.6
    assert p["usd_per_month"] == pytest.approx(saved * per_month)
    assert p["eligible_share"] == pytest.approx(6 / 8)

    # Combined, against check 2's own figures: baseline pays every request's LLM call (11 priced, the
    # twelfth at their mean); after the cache, the LLM-calling layers plus Redis at $0.30/month.
    known = 4 * (miss_in + miss_out) + 2 * (ctx_in + ctx_out) + 2 * (emb_in + emb_out) + 2 * (miss_in + miss_out)
    mean = known / 10
    baseline = (known + mean) * 30
    after_cache = (4 * (miss_in + miss_out) + mean + 2 * (ctx_in + ctx_out) + 2 * (emb_in + emb_out) + 0.01) * 30
    comb = f["combined"]
    assert comb["baseline_usd_per_month"] == pytest.approx(baseline)
    assert comb["after_cache_usd_per_month"] == pytest.approx(after_cache)
    llm = 4 * (miss_in + miss_out) + 2 * (ctx_in + ctx_out) + 2 * (emb_in + emb_out)
    for cut, end in ((0.30, "low"), (0.50, "high")):
        after = 4 * (small_in * (1 - cut) + small_out) + 2 * (ctx_in * (1 - cut) + ctx_out) \
            + 2 * (emb_in * (1 - cut) + emb_out)
        m22 = (llm - after) * per_month
        assert comb[f"m22_usd_per_month_{end}"] == pytest.approx(m22)
        assert comb[f"reduction_{end}"] == pytest.approx(1 - (after_cache - m22) / baseline)
    assert (comb["target_low"], comb["target_high"]) == (0.50, 0.70)
    for part in (c, r, p, comb):
        assert part["assumes"], part  # every figure says what it assumes
    schema = json.loads((ROOT / "checks" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(to_json(run(Config(data_dir=tmp_path, use_redis=False)))), schema)


def test_the_routing_target_is_a_current_cheaper_model_of_the_same_provider(tmp_path):
    write(tmp_path, on_model("gpt-4o"), prices={"redis_usd_per_month": 0})
    f = forecast_of(tmp_path)
    r = f["routing"]
    assert r["to_model"] == "gpt-4.1-mini" and "openai" in r["chosen"]
    assert r["usd_per_month"] > 0
    assert f["prices"]["library"].startswith("genai-prices ") and f["prices"]["data_date"]


def test_a_log_on_a_retired_model_is_told_so_and_never_routed_to_one(tmp_path):
    from checks.prices import retired

    write(tmp_path, on_model("gpt-3.5-turbo"), prices={"redis_usd_per_month": 0})
    f = forecast_of(tmp_path)
    assert any("gpt-3.5-turbo was shut down by its provider on 2026-10-23" in n for n in f["notes"])
    assert f["routing"]["to_model"] is None or not retired(f["routing"]["to_model"])
    write(tmp_path, day_of_traffic(), prices={**PRICES, "route_simple_to": "gpt-4-0613"})
    f = forecast_of(tmp_path)
    assert f["status"] == "error" and "gpt-4-0613" in f["summary"] and "2026-10-23" in f["summary"]


def test_without_a_log_the_forecast_says_what_to_add_and_the_checks_still_run(tmp_path):
    (tmp_path / "cost_analytics.json").write_text(json.dumps(
        {"baseline_cost_per_day": 10, "current_cost_per_day": 5, "cost_savings_vs_baseline": 0.5}), encoding="utf-8")
    report = run(Config(data_dir=tmp_path, use_redis=False))
    f = report.forecast
    assert f["status"] == "skip" and "query_log.jsonl" in f["hint"]
    assert report["cost_savings"].status.value == "pass"
    assert "M2.2 forecast" in to_terminal(report)


def test_an_unknown_model_makes_the_forecast_an_error_that_names_it(tmp_path):
    records = day_of_traffic()
    records[0]["model"] = "mystery-model"
    write(tmp_path, records)
    f = forecast_of(tmp_path)
    assert f["status"] == "error" and "mystery-model" in f["summary"]


@pytest.mark.parametrize("share", ["2", "-0.1", "NaN", "\"half\"", "1e999"])
def test_a_bad_static_prompt_share_is_an_error_naming_prices_json(tmp_path, share):
    from hostile import bounded_cli  # a hard timeout: a hang fails fast

    write(tmp_path, day_of_traffic(), prices=None)
    (tmp_path / "prices.json").write_text('{"static_prompt_share": ' + share + "}", encoding="utf-8")
    out = bounded_cli("--data", str(tmp_path), "--no-redis", "--json")
    f = out.report()["forecast"]
    assert f["status"] == "error" and "prices.json" in f["summary"], f
    assert out.results()["hit_rate"]["status"] != "error"  # one bad file never breaks an unrelated check


@pytest.mark.parametrize("target", ["123", "\"\"", "\"" + "x" * 500 + "\"", "null", "[\"gpt-4.1-mini\"]"])
def test_a_bad_route_simple_to_is_an_error_naming_prices_json(tmp_path, target):
    from hostile import bounded_cli  # a hard timeout: a hang fails fast

    write(tmp_path, day_of_traffic(), prices=None)
    (tmp_path / "prices.json").write_text('{"route_simple_to": ' + target + "}", encoding="utf-8")
    f = bounded_cli("--data", str(tmp_path), "--no-redis", "--json").report()["forecast"]
    assert f["status"] == "error" and "prices.json" in f["summary"], f


def test_the_sample_forecast_is_labelled_sample_in_json_and_terminal():
    out = run_cli("--sample", "--json")
    f = json.loads(out.stdout)["forecast"]
    assert f["status"] == "forecast" and f["sample"] is True
    text = run_cli("--sample").stdout
    assert "M2.2 forecast" in text and "[sample]" in text.split("M2.2 forecast", 1)[1].splitlines()[0]


def test_a_model_the_library_does_not_know_gets_no_invented_target(tmp_path):
    prices = {k: v for k, v in PRICES.items() if k != "route_simple_to"}
    write(tmp_path, day_of_traffic(), prices=prices)
    r = forecast_of(tmp_path)["routing"]
    assert r["to_model"] is None and r["usd_per_month"] == 0 and "route_simple_to" in r["chosen"]


def test_text_from_the_log_reaches_the_terminal_escaped_and_the_page_escaped(tmp_path):
    from checks.render import forecast_html

    name = "evil\x1b[2J<script>alert(1)</script>"
    prices = {**PRICES, "models": {**PRICES["models"], name: PRICES["models"]["small"]}, "route_simple_to": name}
    write(tmp_path, day_of_traffic(), prices=prices)
    report = run(Config(data_dir=tmp_path, use_redis=False, use_cache=False))
    assert report.forecast["status"] == "forecast" and report.forecast["routing"]["to_model"] == name
    text = to_terminal(report, verbose=True)
    assert "\x1b" not in text and "evil\\x1b[2J" in text
    html = forecast_html(report.forecast)
    assert "<script>" not in html and "&lt;script&gt;" in html
