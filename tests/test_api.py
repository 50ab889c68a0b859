"""The public surface stays honest."""

import checks


def test_all_names_exist():
    for name in checks.__all__:
        assert hasattr(checks, name), name


def test_registry_ids_are_the_documented_four():
    assert [c.id for c in checks.REGISTRY] == ["hit_rate", "cost_savings", "failure_docs", "query_diversity"]
