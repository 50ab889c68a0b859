"""The one list of checks, in the order the bridge presents them.

Adding a check: its module (declaring ``CHECK``), one line here, a docs page, a nav entry.
"""

from __future__ import annotations

from . import cost_savings, failure_docs, hit_rate, query_diversity
from .check import Check

REGISTRY: tuple[Check, ...] = (
    hit_rate.CHECK,
    cost_savings.CHECK,
    failure_docs.CHECK,
    query_diversity.CHECK,
)
BY_ID = {c.id: c for c in REGISTRY}
