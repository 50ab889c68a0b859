"""Generate a realistic query log of a RAG support assistant: seeded and deterministic.

    python scripts/make_sample_log.py stubs/query_log.jsonl            # the shipped sample (4,900 requests)
    python scripts/make_sample_log.py big.jsonl --requests 1000000     # for benchmarks
    python scripts/make_sample_log.py stubs/query_log.jsonl --summaries  # and the summary files beside it
    python scripts/make_sample_log.py stubs/query_log.jsonl --analysis   # and checks/sample_analysis.pickle

Traffic over a week: popular questions asked again in the same words, paraphrases
of them, and one-off questions. Each request's cache layer comes from simulating
the four-layer cache of M2.1 (response layer with a 24 h TTL, semantic layer for
paraphrases, embedding and context layers), tuned to give roughly the 40% hit rate
the course calls typical. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2026, 11, 13, 0, 0, tzinfo=timezone.utc)

# Popular questions, each with paraphrases a user might type instead.
TOPICS = [
    ["How do I reset my password?", "I forgot my password, how can I change it?",
     "password reset steps", "Can't log in, how do I recover my account password?"],
    ["What does the Pro plan include?", "Which features come with the Pro subscription?",
     "pro plan features", "Is SSO part of the Pro plan?"],
    ["How do I export my data to CSV?", "Can I download my reports as a CSV file?",
     "export data csv", "How to get a CSV export of my dashboard?"],
    ["How do I add a team member?", "How can I invite a colleague to my workspace?",
     "invite user to workspace", "Add new user to my team account"],
    ["What is the API rate limit?", "How many API requests can I make per minute?",
     "api rate limits", "Why am I getting HTTP 429 from the API?"],
    ["How do I cancel my subscription?", "I want to stop my plan, how do I cancel?",
     "cancel subscription", "How can I end my paid plan and avoid the next charge?"],
    ["How do I connect Slack?", "Can I get notifications in Slack?", "slack integration setup",
     "Set up the Slack app for alerts"],
    ["Where can I find my invoices?", "How do I download past invoices?", "billing history invoices",
     "I need a copy of last month's invoice"],
    ["How do I enable two-factor authentication?", "Turn on 2FA for my account", "2fa setup",
     "How to secure my login with an authenticator app?"],
    ["What are the data retention rules?", "How long do you keep my data?", "data retention policy",
     "When is deleted data removed permanently?"],
    ["How do I change the billing email?", "Update the email address invoices are sent to",
     "change billing contact email"],
    ["Does the product support SAML SSO?", "Can we log in with Okta?", "saml single sign on support"],
    ["How do I create an API key?", "Where do I generate a new API token?", "create api key"],
    ["What time zone are reports in?", "Why are my report dates off by a few hours?",
     "report timezone setting"],
    ["How do I delete my account?", "Remove my account and all data", "close account permanently"],
    ["How do I import data from Excel?", "Can I upload an XLSX spreadsheet?", "excel import"],
    ["What is the uptime SLA?", "What availability do you guarantee?", "sla uptime percentage"],
    ["How do I set up webhooks?", "Send events to my server with a webhook", "webhook configuration"],
    ["Can I change my username?", "How do I rename my account handle?", "change username"],
    ["How are seats billed?", "Do I pay per user?", "seat based pricing explained"],
]

# One-off questions: an opening, a core and a tail, each from its own pool, so that two one-offs
# share words only as often as real support questions do.
OPENINGS = ["", "", "", "Quick question: ", "Hi, ", "Our auditor asked ", "After the migration, ",
            "Since Monday, ", "My manager wants to know ", "Sorry if this is obvious, but ",
            "For a customer demo, ", "Following up on my ticket, ", "Urgent: ", "Can you explain ",
            "We're evaluating you and wonder "]
THINGS = ["usage meter", "VAT number", "forecast widget", "shared link", "guest reviewer", "weekly digest",
          "workspace merge", "audit log", "nested folder", "PDF export", "purchase order", "sandbox",
          "heatmap", "app version", "data residency", "Zapier trigger", "deleted comment", "signing secret",
          "median column", "read replica", "record owner", "iOS widget", "formula field", "trial",
          "SCIM sync", "byte order mark", "frozen snapshot", "annotation", "map view", "refund",
          "embedded dashboard", "status page", "Splunk export", "date sort", "custom role",
          "session timeout", "malware scan", "Gantt chart", "email template", "widget history",
          "webhook signature", "department budget", "GraphQL subscription", "holiday calendar",
          "currency rate", "offline mode", "invoice logo", "vulnerability report", "self-hosted connector",
          "retention rule"]
DOINGS = ["break", "disappear", "double count", "time out", "show stale numbers", "ignore my filter",
          "reset itself", "need admin rights", "cost extra", "slow down", "lose formatting",
          "skip some rows", "send duplicates", "refuse to load", "change the totals", "stop syncing",
          "use the wrong time zone", "expose private data", "count archived items", "hide new users"]
TRIGGERS = ["rename a project", "switch workspaces", "change the language to German", "open it in Firefox",
            "invite an external auditor", "filter by last quarter", "add more than 50 rows",
            "upgrade to the Pro plan", "connect a second database", "turn on dark mode", "use a VPN",
            "set a custom domain", "import from Excel", "downgrade my plan", "enable SSO",
            "archive old records", "duplicate a dashboard", "rotate API keys", "change currency",
            "restore from backup"]
TEMPLATES = [
    "Why does the {thing} {doing} when I {trigger}?",
    "Does the {thing} {doing} if I {trigger}?",
    "Our {thing} started to {doing} after we tried to {trigger}. Why?",
    "Is it expected that the {thing} can {doing} once I {trigger}?",
    "How do I stop the {thing} from trying to {doing} whenever I {trigger}?",
]
MODELS = [("gpt-4o-mini", 0.68), ("gpt-4o", 0.32)]  # about $0.0021 per full-pipeline request
EMBEDDING_MODEL = "text-embedding-3-small"
DAY_WEIGHTS = [1.0, 1.1, 1.05, 1.0, 0.9, 0.45, 0.4]  # busier on weekdays


def one_off(rng: random.Random, n: int) -> str:
    text = rng.choice(TEMPLATES).format(thing=rng.choice(THINGS), doing=rng.choice(DOINGS),
                                        trigger=rng.choice(TRIGGERS))
    if rng.random() < 0.2:
        text = rng.choice(OPENINGS[3:]) + text[0].lower() + text[1:]
    # A ticket number keeps very large logs from running out of distinct questions.
    if n > 20_000 and rng.random() < 0.85:
        text = f"{text} (ticket {rng.randrange(10**6):06d})"
    return text


def _hour_weight(hour: int) -> float:
    """Support traffic: quiet at night, busy mid-morning and mid-afternoon."""
    return 0.08 if hour < 6 or hour >= 23 else 1.0 + 0.6 * (hour in (9, 10, 11, 14, 15, 16))


def _clock(requests: int):
    """Increasing request times over the week, following the day and hour weights."""
    bins = [DAY_WEIGHTS[d] * _hour_weight(h) for d in range(7) for h in range(24)]
    total = sum(bins)
    cumulative, acc = [], 0.0
    for w in bins:
        acc += w / total
        cumulative.append(acc)
    b = 0
    for i in range(requests):
        u = (i + 0.5) / requests
        while b < len(bins) - 1 and u > cumulative[b]:
            b += 1
        start = cumulative[b - 1] if b else 0.0
        frac = (u - start) / (cumulative[b] - start)
        yield START + timedelta(hours=b + frac)


def generate(requests: int, seed: int = 7):
    rng = random.Random(seed)
    clock = _clock(requests)
    zipf = [1 / (i + 1) ** 1.1 for i in range(len(TOPICS))]
    seen_exact: dict[str, datetime] = {}  # response layer entries (24 h TTL)
    seen_topic: set[int] = set()  # semantic layer: a topic once answered
    seen_text: set[str] = set()  # embedding layer: embeddings never expire
    for _ in range(requests):
        ts = next(clock)
        kind = rng.random()
        topic = None
        if kind < 0.20:
            topic = rng.choices(range(len(TOPICS)), zipf)[0]
            query = TOPICS[topic][0]
        elif kind < 0.36:
            topic = rng.choices(range(len(TOPICS)), zipf)[0]
            query = rng.choice(TOPICS[topic][1:])
        else:
            query = one_off(rng, requests)
        if rng.random() < 0.15:  # people type carelessly
            query = query.lower().rstrip("?")
        key = query.lower().rstrip("?")
        fresh = key in seen_exact and ts - seen_exact[key] < timedelta(hours=24)
        if fresh:
            layer = "response"
        elif topic is not None and topic in seen_topic and rng.random() < 0.5:
            layer = "semantic"
        elif key in seen_text:
            layer = "embedding"
        elif rng.random() < 0.08:  # the same documents were retrieved recently
            layer = "context"
        else:
            layer = "none"
        if layer != "response":
            seen_exact[key] = ts
        if topic is not None:
            seen_topic.add(topic)
        seen_text.add(key)
        model = rng.choices([m for m, _ in MODELS], [w for _, w in MODELS])[0]
        record = {
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "query": query,
            "cache_layer": layer,
            "model": model,
            "input_tokens": rng.randint(700, 1900),
            "output_tokens": rng.randint(90, 420),
            "embedding_model": EMBEDDING_MODEL,
            "embedding_tokens": max(4, len(query) // 4),
            "latency_ms": round({"response": 6, "semantic": 45, "embedding": 900, "context": 850,
                                 "none": 1400}[layer] * rng.uniform(0.6, 1.8), 1),
        }
        yield record


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path)
    p.add_argument("--requests", type=int, default=4900)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--analysis", action="store_true",
                   help="also write checks/sample_analysis.pickle: the log's analysis, shipped so that a build of "
                        "the sample needs no numpy, scipy or model (run it after any change the test names)")
    p.add_argument("--summaries", action="store_true",
                   help="also write cache_metrics.json, cost_analytics.json and query_diversity.json beside "
                        "the log, computed from it by the checks package")
    args = p.parse_args()
    records = generate(args.requests, args.seed)  # already in time order, streamed
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    if args.summaries:
        write_summaries(args.out)
    if args.analysis:
        write_analysis(args.out)


def write_analysis(log: Path) -> None:
    """The shipped sample's analysis, computed by the checks package itself, under the key it is used by."""
    import pickle

    from checks import Config, cache
    from checks.context import Context

    ctx = Context(Config(data_dir=log.parent, use_redis=False, use_cache=False))
    traffic = ctx.traffic()
    name = ctx.analysis_key(log, cache.file_digest(log.parent / "prices.json"))
    with open(cache.SHIPPED_SAMPLE, "wb") as fh:
        pickle.dump({"key": name, "traffic": traffic}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"wrote {cache.SHIPPED_SAMPLE} ({cache.SHIPPED_SAMPLE.stat().st_size:,} bytes)")


def write_summaries(log: Path) -> None:
    """The notebook's summary files, consistent with the log (needs the checks package installed)."""
    from checks.prices import PriceBook
    from checks.traffic import analyse

    folder = log.parent
    t = analyse(log, PriceBook.load(folder, str))
    costs, rp = t.costs(), t.replay()
    hits = t.layered - t.layers["none"]
    when = datetime.fromtimestamp(t.last_ts, tz=timezone.utc).isoformat(timespec="seconds")
    base, cur = round(costs["baseline"] / t.days, 2), round(costs["actual"] / t.days, 2)
    files = {
        "cache_metrics.json": {"cache_hit_rate": round(hits / t.layered, 4), "hits": hits,
                               "misses": t.layers["none"], "measured_at": when,
                               "window": f"the week in {log.name} of a RAG support assistant"},
        "cost_analytics.json": {"baseline_cost_per_day": base, "current_cost_per_day": cur,
                                "cost_savings_vs_baseline": round(1 - cur / base, 3),
                                "queries_per_day": round(t.layered / t.days), "cache_hit_rate": round(hits / t.layered, 3),
                                "cost_per_miss": round(costs["cost_per_miss"], 5), "measured_at": when,
                                "window": f"the week in {log.name}, priced with genai-prices; current cost includes "
                                          "the embeddings paid on semantic lookups"},
        "query_diversity.json": {"diversity_score": round(rp.diversity_score, 3), "total_queries": rp.requests,
                                 "unique_patterns": rp.distinct,
                                 "similarity_distribution": {k: round(v, 3) for k, v in rp.buckets.items()},
                                 "measured_at": when},
    }
    for name, data in files.items():
        (folder / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
