"""The command line: report, JSON contract, exit codes, init, and a folder left untouched."""

from __future__ import annotations

import json
import re
from importlib import resources

import jsonschema
import pytest

from checks.__main__ import _parser
from checks import REGISTRY
from conftest import ROOT, run_cli, tree_digest

SCHEMA = json.loads(resources.files("checks").joinpath("schemas", "report.schema.json").read_text("utf-8"))


def validate(report: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(report)


def test_json_is_one_document_matching_the_schema(scenario):
    for folder in (scenario("healthy"), scenario("notebook_template"), None):
        args = ["--json", "--no-redis"] + (["--data", str(folder)] if folder else [])
        out = run_cli(*args)
        report = json.loads(out.stdout)  # nothing else on stdout, or this fails
        validate(report)
        assert [r["id"] for r in report["results"]] == [c.id for c in REGISTRY]


def test_schema_rejects_a_pass_from_sample_labelled_as_file():
    out = json.loads(run_cli("--json", "--sample").stdout)
    validate(out)
    out["results"][0]["source"]["kind"] = "file"
    with pytest.raises(jsonschema.ValidationError):
        validate(out)
    out["results"][0]["source"]["kind"] = "sample"
    out["results"][0]["status"] = "warn"  # a non-pass must carry its next step
    out["results"][0]["hint"] = ""
    with pytest.raises(jsonschema.ValidationError):
        validate(out)


def test_exit_codes(scenario, tmp_path):
    healthy = scenario("healthy")
    assert run_cli("--no-redis", "--data", str(healthy)).returncode == 0
    assert run_cli("--no-redis", "--data", str(healthy), "--strict").returncode == 0
    # An empty folder: failure_docs fails, the rest skip.
    assert run_cli("--no-redis", "--data", str(tmp_path)).returncode == 1
    # The notebook's templates: errors.
    assert run_cli("--no-redis", "--data", str(scenario("notebook_template"))).returncode == 2
    # Sample data passes, but --strict does not accept it as the learner's.
    assert run_cli("--sample").returncode == 0
    assert run_cli("--sample", "--strict").returncode == 1
    # Bad usage.
    assert run_cli("--only", "nope").returncode == 2
    assert run_cli("--data", str(tmp_path / "missing")).returncode == 2
    assert run_cli("--redis", "http://localhost").returncode == 2
    assert run_cli("--bogus").returncode == 2


def test_terminal_report_is_doctor_style(scenario):
    out = run_cli("--no-redis", "--data", str(scenario("notebook_template")))
    lines = out.stdout.splitlines()
    assert lines[0].startswith("[E] Cache hit rate")
    assert lines[1].strip().startswith("→")  # the hint leads every non-pass result
    assert lines[-1].startswith("Not ready for M2.2 yet")
    assert "all passed" not in out.stdout.lower()
    verbose = run_cli("--no-redis", "--data", str(scenario("healthy")), "-v").stdout
    assert "source: " in verbose and "source: " not in run_cli("--no-redis", "--data", str(scenario("healthy"))).stdout


def test_terminal_falls_back_to_ascii_on_a_narrow_console(scenario):
    out = run_cli("--sample", env={"PYTHONIOENCODING": "cp1252"})
    assert out.returncode == 0
    assert "[+] Cache hit rate" in out.stdout and ">= 30%" in out.stdout


def test_only_and_list():
    out = json.loads(run_cli("--json", "--sample", "--only", "failure_docs", "--only", "hit_rate").stdout)
    assert [r["id"] for r in out["results"]] == ["hit_rate", "failure_docs"]
    listed = run_cli("--list").stdout.split()
    assert {c.id for c in REGISTRY} <= set(listed)


def test_skip_redis_env_is_honoured(tmp_path):
    out = json.loads(run_cli("--json", "--only", "hit_rate", "--data", str(tmp_path),
                             env={"SKIP_REDIS": "true"}).stdout)
    assert "SKIP_REDIS" in out["results"][0]["summary"]


def test_init_writes_templates_and_never_overwrites(tmp_path):
    target = tmp_path / "mine"
    out = run_cli("init", str(target))
    assert out.returncode == 0
    names = sorted(p.name for p in target.iterdir())
    assert names == ["cache_metrics.json", "cost_analytics.json", "failures_documentation.md",
                     "query_diversity.json", "query_log.example.jsonl"]
    (target / "failures_documentation.md").write_text("# mine\n", encoding="utf-8")
    before = tree_digest(target)
    again = run_cli("init", str(target))
    assert again.returncode == 0 and "not overwritten" in again.stdout
    assert tree_digest(target) == before
    # What init writes is a template until filled in: no pass anywhere.
    report = json.loads(run_cli("--json", "--no-redis", "--data", str(target)).stdout)
    assert all(r["status"] != "pass" for r in report["results"])


def test_the_data_folder_is_byte_identical_after_a_cli_run(scenario, tmp_path):
    for name in ("healthy", "notebook_template"):
        folder = scenario(name)
        before = tree_digest(folder)
        run_cli("-v", "--data", str(folder), "--redis", "redis://127.0.0.1:1/0")
        run_cli("--json", "--data", str(folder), "--no-redis")
        assert tree_digest(folder) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    run_cli("--data", str(empty), "--no-redis")
    assert list(empty.iterdir()) == []


def test_every_cli_option_is_documented():
    cli_doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for action in _parser()._actions:
        for flag in action.option_strings:
            assert f"`{flag}" in cli_doc, f"{flag} is not documented in docs/cli.md"
    assert "`init DIR`" in cli_doc


def test_readme_names_the_test_command_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = re.findall(r"python3? scripts/dev\.py test", readme)
    assert commands, "README gives no test command"
    assert "scripts/dev.py test" in ci
