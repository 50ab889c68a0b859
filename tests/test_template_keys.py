"""The overview's fifth item: do cache keys carry the model and the prompt-template version?"""

from __future__ import annotations

import json

from checks import Config, run
from checks.render import to_json
from checks.template_keys import documented_line, versioned_prefixes
from conftest import ROOT


def test_a_line_that_puts_model_and_template_version_in_the_key_is_found():
    assert documented_line("intro\nKeys include the model and the prompt template version.\n", "F.md") == "F.md, line 2"
    assert documented_line("The cache key is sha256(model + query + tpl_v3).", "F.md") == "F.md, line 1"
    wrapped = "**Fix:** Keys now use the full SHA-256 of the prompt plus the model\nname and prompt-template version.\n"
    assert documented_line(wrapped, "F.md") == "F.md, lines 1-2"
    for text in ("Keys use the full SHA-256 of the prompt.",           # no model, no version
                 "We pass the model name to the LLM client.",         # no key
                 "The key includes the model name.",                  # no template version
                 "We bumped the template version last week."):       # no key, no model
        assert documented_line(text, "F.md") is None, text


def test_live_key_prefixes_with_a_version_segment_are_told_apart():
    with_v, without = versioned_prefixes({"resp:v3": {}, "ctx:tpl2": {}, "emb": {}, "rag:gpt-4o:prompt-v4": {},
                                          "user:12": {}})
    assert sorted(with_v) == ["ctx:tpl2", "rag:gpt-4o:prompt-v4", "resp:v3"]
    assert sorted(without) == ["emb", "user:12"]


def test_the_report_says_documented_on_sample_data_and_unknown_without_a_document(tmp_path):
    report = run(Config(sample=True))
    tk = report.template_keys
    assert tk["status"] == "documented" and tk["sample"] is True and "failures_documentation.md" in tk["where"]
    (tmp_path / "FAILURES.md").write_text("# Failures\n\nNothing about keys here.\n", encoding="utf-8")
    tk = run(Config(data_dir=tmp_path, use_redis=False)).template_keys
    assert tk["status"] == "unknown" and tk["sample"] is False and "version" in tk["summary"]
    (tmp_path / "FAILURES.md").write_text("Cache keys carry the model and prompt version: resp:v2:<sha256>.\n",
                                          encoding="utf-8")
    report = run(Config(data_dir=tmp_path, use_redis=False))
    assert report.template_keys["status"] == "documented" and report.template_keys["sample"] is False
    schema = json.loads((ROOT / "checks" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    import jsonschema

    jsonschema.validate(json.loads(to_json(report)), schema)


def test_a_binary_failures_file_leaves_the_item_unknown_and_the_report_whole(tmp_path):
    (tmp_path / "FAILURES.md").write_bytes(b"\x00\x01\x02" * 1000)
    report = run(Config(data_dir=tmp_path, use_redis=False))
    assert report.template_keys["status"] == "unknown"
    assert report["failure_docs"].status.value == "error"


def test_live_keys_with_a_version_segment_verify_the_item(redis_server):
    client = redis_server.client()
    client.flushall()
    for i in range(20):
        client.set(f"resp:v3:{i:064x}", "x")
    report = run(Config(data_dir=None, redis_url=redis_server.url, sample=False, use_cache=False))
    tk = report.template_keys
    assert tk["status"] == "verified" and "resp:v3" in tk["summary"], tk
    client.flushall()


def test_the_checklist_ticks_what_passed_on_own_data_and_the_fifth_item_from_the_keys(tmp_path, scenario):
    import re
    import shutil

    from checks.render import verified_html

    folder = tmp_path / "project"
    shutil.copytree(scenario("healthy"), folder)
    ticks = lambda: dict(re.findall(r'data-item="(\w+)" data-done="(\w+)"',  # noqa: E731
                                    verified_html(run(Config(data_dir=folder, use_redis=False)))))
    assert ticks() == {"hit_rate": "true", "cost_savings": "true", "failure_docs": "true",
                       "query_diversity": "true", "template_keys": "false"}
    with open(folder / "FAILURES.md", "a", encoding="utf-8") as fh:
        fh.write("\nEvery cache key also carries the model name and the prompt template version (tpl3).\n")
    assert set(ticks().values()) == {"true"}
    sample = dict(re.findall(r'data-item="(\w+)" data-done="(\w+)"', verified_html(run(Config(sample=True)))))
    assert set(sample.values()) == {"false"}  # the sample never ticks anything
