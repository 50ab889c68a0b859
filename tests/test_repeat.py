"""The repeat potential: identifiers and the false-hit guard, every script, the judge, the TTL, the check."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from checks import Config, needs, repeat, run
from checks.queries import Distinct, normalise
from conftest import by_id
from hostile import bounded_cli

ROOT = Path(__file__).resolve().parent.parent


def ids(text: str) -> frozenset[str]:
    return needs.identifiers(text, normalise(text))


# --- identifiers: one value, however it is written; different values are different needs

@pytest.mark.parametrize("a,b", [
    ("Where is order 4540700?", "Status of order #4540700 please"),
    ("order no. 4540700", "order number 4540700"),
    ("I see a charge of $257.02 from the 18th of June", "I see a charge of USD 257.02 from June 18"),
    ("Why was I charged $45 on 3 May?", "What is the 45.00 USD charge on May 3rd?"),
    ("Can you check ticket SUP-30671?", "is #sup-30671 resolved"),
    ("where do I get my w-2", "how do I get a w2 form"),
    ("best laptop under 60k", "a laptop for 60,000"),
    ("set an alarm for eight am", "wake me up at 8 a.m."),
    ("weather in New York City", "will it rain in new york"),
    ("call me at 10:30am", "call me at 10:30 am"),
    ("the 8:00 pm show", "the 8 pm show"),
    ("a 4-digit pin", "a four digit pin"),
    ("twenty one dollars", "21 dollars"),
    ("order ٣٤٥", "order 345"),
    ("due 5/20/2024", "due 05/20/2024"),
    ("is www.example.com down", "is https://www.example.com down"),
    ("see https://example.com/a)", "see https://example.com/a"),
    ("I want to try the pro plan", "Can I test the pro plan"),
])
def test_the_same_value_in_two_renderings_is_not_a_guard(a, b):
    assert not needs.differ(ids(a), ids(b)), (sorted(ids(a)), sorted(ids(b)))


@pytest.mark.parametrize("a,b", [
    ("Any update on ticket INC725976?", "Any update on ticket INC625925?"),
    ("Where is order 45407004?", "Where is order 45407014?"),
    ("VAT for Norway", "VAT for Finland"),
    ("Refund of 744.15 USD, any news?", "Refund of USD 132.50, any news?"),
    ("set an alarm for eight am", "set an alarm for eight pm"),
    ("Can I move my appointment to April 28?", "Can I move my appointment to May 28?"),
    ("Send the invoice to ann@example.com", "Send the invoice to bob@example.com"),
    ("Is https://example.com/a down?", "Is https://example.com/b down?"),
    ("Price of the Nimbus Pro 14", "Price of the Nimbus Pro 16"),
    ("deliver on 1/12/2024", "deliver on 11/2/2024"),
    ("upgrade to v1.2.3", "upgrade to v12.3"),
    ("a refund of €45", "a refund of $45"),
    ("call me at 10:30 am", "call me at 11:30 am"),
])
def test_different_values_of_one_kind_are_different_needs(a, b):
    assert needs.differ(ids(a), ids(b)), (sorted(ids(a)), sorted(ids(b)))


def test_a_pasted_blob_is_read_in_bounded_time():
    import time

    began = time.perf_counter()
    for blob in ("x" * 100_000, "a@" * 50_000, "1." * 50_000, "https://" + "a" * 100_000):
        needs.identifiers(blob, normalise(blob))
    assert time.perf_counter() - began < 5  # a hard bound: the quadratic email scan took 43 s on 100k characters


def test_a_value_on_one_side_only_or_of_another_kind_is_not_a_guard():
    assert not needs.differ(ids("Where is my order?"), ids("Where is order 4540700?"))
    assert not needs.differ(ids("How long do refunds take?"), ids("How long does a refund to Norway take?"))
    assert ids("What am I being charged for?") == frozenset()  # "am" here is not a time of day
    assert ids("May I cancel?") == frozenset()  # nor is "May" a month


# --- normalisation keeps every script

@pytest.mark.parametrize("a,b", [
    ("मेरा बिल", "मेरा बोल"),  # Devanagari: "my bill" / "my word" differ only in a vowel sign
    ("ราคาเท่าไร", "ราคาเท่าไหร่"),  # Thai, with its vowel and tone marks
    ("😀", "😢"),  # emoji are content
    ("账单在哪里", "账户在哪里"),  # Chinese
    ("أين فاتورتي", "أين حسابي"),  # Arabic
    ("Où est ma facture ?", "Où est mon compte ?"),  # Latin with accents
])
def test_queries_in_any_script_stay_apart(a, b):
    assert normalise(a) and normalise(b) and normalise(a) != normalise(b)


def test_normalising_twice_changes_nothing_and_invisible_characters_go():
    import random

    rng = random.Random(1)
    pool = [chr(c) for c in [*range(32, 0x3000), *range(0x1F300, 0x1F700), 0x200B, 0x200D, 0xFE0F, 0x301, 0xAD]]
    for _ in range(5000):
        s = "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        assert normalise(normalise(s)) == normalise(s), repr(s)
    assert normalise("e\u200b\u0301") == normalise("é") == "é"  # the mark composes once the space goes
    assert normalise("I ❤️ it") == normalise("I ❤ it")  # a variation selector is not a word


def test_emoji_only_traffic_keeps_every_distinct_query():
    d = Distinct()
    emoji = [chr(0x1F600 + i) for i in range(80)] + [chr(0x1F300 + i) * 2 for i in range(220)]
    for i, q in enumerate(emoji):
        d.add(float(i), q)
    assert len(d.norms) == 300
    assert normalise("  ¿Qué?  ") == "qué" and normalise("a\u200bb") == "ab" and normalise("x\u00a0y") == "x y"


# --- the judge and the combination, against hand-worked cases

def test_the_judge_walks_its_trees_as_written():
    # one tree: feature 0 <= 0.5 -> leaf -1.0, else (feature 1 <= 2 -> leaf 0.5, else leaf 2.0)
    spec = {"baseline": 0.25, "trees": [{k: np.asarray(v, dtype=np.float64 if k in ("threshold", "value") else np.int32)
                                         for k, v in {"feature": [0, 0, 1, 0, 0], "threshold": [0.5, 0, 2.0, 0, 0],
                                                      "left": [1, -1, 3, -1, -1], "right": [2, -1, 4, -1, -1],
                                                      "value": [0, -1.0, 0, 0.5, 2.0]}.items()}]}
    X = np.array([[0.1, 9.0], [0.9, 1.0], [0.9, 3.0]])
    expected = [1 / (1 + math.exp(-(0.25 + v))) for v in (-1.0, 0.5, 2.0)]
    assert repeat.judge(X, spec) == pytest.approx(expected)


def test_candidates_combine_with_the_decay():
    req = np.array([5, 5, 5, 9])
    p = np.array([0.2, 0.5, 0.1, 0.3])
    out = repeat.combine(req, p, np.array([5, 9, 11]), decay=0.5)
    # request 5: most probable first in full, then halved, then quartered
    assert out[0] == pytest.approx(1 - (1 - 0.5) * (1 - 0.2) ** 0.5 * (1 - 0.1) ** 0.25)
    assert out[1] == pytest.approx(0.3) and out[2] == 0.0


def test_the_model_file_names_its_sources_and_its_measured_error():
    spec = json.loads(repeat.MODEL_FILE.read_text("utf-8"))
    assert tuple(spec["features"]) == repeat.FEATURES
    assert {"bank77", "qqp", "snips"} <= set(spec["sources"]) and "nlupp" in spec["evaluated_only"]
    held = [r for r in spec["held_out"] if r["fitted"]]
    assert len({r["source"] for r in held}) >= 8
    mae = 100 * np.mean([abs(r["estimated"] - r["true"]) for r in held])
    assert spec["loso_mean_abs_error_pp"] == pytest.approx(mae, abs=0.1)
    lo, hi = spec["loso_interval"]
    assert lo < 0 < hi


# --- the estimate

def log(rows: list[tuple[float, str]]) -> Distinct:
    d = Distinct()
    for t, q in rows:
        d.add(t, q)
    return d


def test_exact_repeats_count_only_within_the_ttl():
    d = log([(0, "reset my password"), (10, "reset my password"), (5000, "Reset my password!")])
    assert repeat.estimate(d).exact_share == pytest.approx(2 / 3)
    e = repeat.estimate(d, ttl=100)
    assert e.exact_share == pytest.approx(1 / 3)
    # the third asking is 4990 s after the last: no earlier query is within the TTL, so nothing to judge it by
    assert e.potential == pytest.approx(1 / 3)


def test_id_only_variants_are_not_repeats_whatever_their_similarity():
    rows = [(float(i), f"Any update on ticket INC{700000 + 37 * i}?") for i in range(60)]
    e = repeat.estimate(log(rows))
    assert e.potential < 0.05 and e.low <= e.potential <= e.high


def test_paraphrases_of_a_few_needs_are_mostly_repeats():
    needs_ = [["How do I reset my password?", "I forgot my password, how can I change it?",
               "password reset please", "Can't log in, need to reset my password"],
              ["What does the Pro plan cost?", "How much is the Pro subscription?", "Pro plan price",
               "What's the monthly price of Pro?"],
              ["How do I cancel my subscription?", "I want to cancel my plan", "cancel subscription",
               "Please end my subscription"]]
    rows = [(float(i), needs_[i % 3][(i // 3) % 4]) for i in range(36)]
    e = repeat.estimate(log(rows))
    assert e.exact_share == pytest.approx(24 / 36)
    assert e.potential > 30 / 36  # most of the 12 first askings but 3 are paraphrases of an earlier one


def test_a_large_log_is_judged_on_a_sample_and_says_so(monkeypatch):
    monkeypatch.setattr(repeat, "SAMPLE", 50)
    rows = [(float(i), f"question number {i} about topic {i % 40}") for i in range(400)]
    e = repeat.estimate(log(rows))
    assert e.sampled and e.judged == 50 and any("sample" in n for n in e.notes)
    assert e.low <= e.potential <= e.high


TOPICS = ("billing invoices refunds passwords login shipping returns warranty coupons gifts stores "
          "hours jobs careers press privacy cookies accessibility languages currencies taxes customs batteries chargers "
          "cables screens keyboards mice speakers headphones").split()


def test_a_long_log_is_judged_against_its_recent_queries_and_says_what_that_window_sees(monkeypatch):
    assert len(TOPICS) == 30
    # each topic asked twice in a row (the second an exact repeat one request later), round after round (the
    # next asking 60 requests later, past a window of 10 distinct queries)
    queries = [f"tell me about {t}" for _ in range(4) for t in TOPICS for _ in range(2)]
    rows = [(float(i), q) for i, q in enumerate(queries)]
    d = log(rows)
    whole = repeat.estimate(d)
    assert whole.exact_share == pytest.approx((240 - 30) / 240)
    monkeypatch.setattr(repeat, "RECENT", 10)
    monkeypatch.setattr(repeat, "MIN_RECALL_EXACT", 5)
    prep = repeat.prepare(d, None, None)
    assert prep.window_start is not None and prep.window_exact == 210
    assert prep.window_recall == pytest.approx(120 / 210)  # the 120 asked right after; not the 90 from a round ago
    windowed = repeat.estimate(d)
    assert windowed.exact_share == whole.exact_share
    assert any("asked most recently" in n and "57% of the 210 exact repeats" in n for n in windowed.notes)
    assert windowed.low <= windowed.potential <= windowed.high
    assert windowed.potential <= whole.potential + 1e-9  # the window can only miss repeats


def test_a_long_log_sampled_in_runs_embeds_only_the_rows_its_windows_hold(monkeypatch):
    monkeypatch.setattr(repeat, "RECENT", 20)
    monkeypatch.setattr(repeat, "SAMPLE", 40)
    queries = [f"what is the {TOPICS[i % 30]} policy number {i // 2}" for i in range(3000)]
    d = log([(float(i), q) for i, q in enumerate(queries)])
    e = repeat.estimate(d)
    assert e.sampled and e.judged == 40
    prep = repeat.prepare(d, None, None)
    live = repeat.live_positions(prep)
    repeat.ensure_vectors(prep, live[:5])
    assert prep.mat is not None and len(prep.mat) < len(prep.norms)


# --- through the check

def write_log(folder: Path, queries: list[str], layer: str = "none", gap: float = 30.0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "query_log.jsonl", "w", encoding="utf-8") as fh:
        for i, q in enumerate(queries):
            fh.write(json.dumps({"ts": 1_800_000_000 + gap * i, "query": q, "cache_layer": layer},
                                ensure_ascii=False) + "\n")


def diversity(folder: Path, **kw) -> dict:
    return by_id(run(Config(data_dir=folder, use_redis=False, **kw)))["query_diversity"]


def test_an_id_only_log_warns_that_the_cache_would_answer_the_wrong_order(tmp_path):
    templates = ["Where is order {}?", "What's the status of order #{}?", "Has order no. {} shipped?"]
    queries = [templates[i % 3].format(4_540_000 + 13 * i) for i in range(300)]
    r = diversity(tmp_path)
    write_log(tmp_path, queries)
    r = diversity(tmp_path)
    m = r.metrics
    assert r.status.value == "warn" and "wrong order" in r.summary
    assert m["cache_false_hit_share"] > 0.5 and m["repeat_potential"] < 0.1
    assert m["recommendation"] != "semantic_cache_tuning"


def test_the_learners_threshold_is_replayed_and_the_gap_to_their_cache_shown(tmp_path):
    queries = (["How do I reset my password?", "how do i reset my password", "What is the premium plan?",
                "what's included in premium?"] * 30)
    write_log(tmp_path, queries, layer="response")
    r = diversity(tmp_path, replay_threshold=0.7)
    m = r.metrics
    assert m["cache_threshold"] == 0.7 and m["cache_threshold_from"] == "yours" and "0.70" in m["answered_by_threshold"]
    assert m["measured_hit_rate"] == 1.0 and m["potential_gap"] == pytest.approx(m["repeat_potential"] - 1.0)
    assert m["diversity_score"] == pytest.approx(1 - m["repeat_potential"])


def test_punctuation_only_requests_are_not_repeats_of_each_other(tmp_path):
    write_log(tmp_path, ["?!"] * 150 + [f"What is the status of order {1000 + i}?" for i in range(150)])
    m = diversity(tmp_path).metrics
    assert m["repeat_potential"] < 0.1 and "scripts" not in diversity(tmp_path).summary


def test_a_cache_answering_more_than_the_potential_is_said_to_answer_wrongly(tmp_path):
    folder = tmp_path
    folder.mkdir(exist_ok=True)
    with open(folder / "query_log.jsonl", "w", encoding="utf-8") as fh:
        for i in range(300):
            fh.write(json.dumps({"ts": 1_800_000_000 + 30 * i, "query": f"Where is my order {5000 + 7 * i}?",
                                 "cache_layer": "semantic" if i % 2 else "none"}) + "\n")
    r = diversity(folder)
    assert any("more than the repeat potential" in d for d in r.details), r.details


def test_a_threshold_is_replayed_to_two_decimals(tmp_path):
    write_log(tmp_path, ["How do I reset my password?", "how do i reset my password please", "Pro plan price?"] * 50)
    m = diversity(tmp_path, replay_threshold=0.852).metrics
    assert m["cache_threshold"] == 0.85 and list(m["answered_by_threshold"]).count("0.85") == 1


def test_a_low_threshold_costs_no_more_memory_than_a_high_one():
    from checks import similarity

    rng = np.random.default_rng(0)
    mat = rng.standard_normal((3000, 16)).astype(np.float32) + 3  # everything alike: cos near 1
    mat /= np.linalg.norm(mat, axis=1, keepdims=True)
    (x, _, _), _ = similarity._neighbours_exact(mat, 0.5)
    assert len(x) <= 3000 * similarity.MAX_NEIGHBOURS


@pytest.mark.parametrize("script,queries", [
    ("devanagari", [f"मेरा बिल {w}" for w in ("कब", "क्यों", "कहाँ", "कैसे", "किसका")]),
    ("thai", [f"ราคา{w}" for w in ("เท่าไร", "เท่าไหร่", "ถูก", "แพง", "ลด")]),
    ("chinese", [f"我的{w}在哪里" for w in ("账单", "账户", "订单", "包裹", "发票")]),
    ("arabic", [f"أين {w}" for w in ("فاتورتي", "حسابي", "طلبي", "بطاقتي", "طردي")]),
    ("emoji", ["😀", "😢", "👍", "🎉", "🙏"]),
])
def test_traffic_in_other_scripts_is_measured_and_said_to_be_unmeasured_for_accuracy(tmp_path, script, queries):
    many = [q + " " + str(i) if script != "emoji" else q * (1 + i % 7) for i, q in enumerate(queries * 24)]
    write_log(tmp_path, many)
    r = diversity(tmp_path)
    m = r.metrics
    assert m["unique_patterns"] == len(set(map(normalise, many)))
    assert 0 <= m["repeat_potential"] <= 1 and m["repeat_interval"][0] <= m["repeat_potential"]
    if script == "emoji":  # emoji are content, not a language the model cannot read
        assert "scripts" not in r.summary
    else:
        assert r.status.value == "warn" and "scripts" in r.summary


@pytest.mark.slow
@pytest.mark.parametrize("args,env", [(["--replay-threshold", "nan"], {}), (["--replay-threshold", "2"], {}),
                                      (["--replay-threshold", "0.1"], {}),
                                      ([], {"BRIDGE_REPLAY_THRESHOLD": "inf"}),
                                      ([], {"BRIDGE_REPLAY_THRESHOLD": "high"})])
def test_a_threshold_that_is_not_a_similarity_is_a_usage_error(args, env):
    out = bounded_cli("--no-redis", "--sample", *args, env=env)
    assert out.code == 2 and "similarity" in out.stderr, out.stderr
