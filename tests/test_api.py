"""The public surface stays honest."""

import json

import checks


def test_all_names_exist():
    for name in checks.__all__:
        assert hasattr(checks, name), name


def test_registry_ids_are_the_documented_four():
    assert [c.id for c in checks.REGISTRY] == ["hit_rate", "cost_savings", "failure_docs", "query_diversity"]


def test_the_report_schema_names_exactly_the_registered_checks():
    from importlib import resources

    schema = json.loads(resources.files("checks").joinpath("schemas", "report.schema.json").read_text("utf-8"))
    assert schema["$defs"]["result"]["properties"]["id"]["enum"] == [c.id for c in checks.REGISTRY]


def test_every_check_carries_its_identity_and_page():
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs"
    for check in checks.REGISTRY:
        assert check.title and check.bar and (docs / (check.page.rstrip("/") + ".md")).is_file(), check.id


def test_the_layer_table_is_the_schemas():
    from importlib import resources

    from checks.querylog import LAYER_TABLE

    schema = json.loads(resources.files("checks").joinpath("schemas", "query_log_record.schema.json")
                        .read_text("utf-8"))
    assert schema["properties"]["cache_layer"]["enum"] == [layer.name for layer in LAYER_TABLE]
    full = [layer for layer in LAYER_TABLE if layer.pays_embedding and layer.pays_retrieval and layer.pays_llm]
    assert [layer.name for layer in full] == ["none"]  # only a full miss pays the whole pipeline
