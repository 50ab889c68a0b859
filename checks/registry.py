"""The one list of checks, in the order the bridge presents them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import cost_savings, failure_docs, hit_rate, query_diversity
from .context import Context
from .result import Result


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    run: Callable[[Context], Result]
    # Keys every result of this check carries in its metrics: null when not measured.
    metrics: tuple[str, ...]


REGISTRY: tuple[Check, ...] = (
    Check(hit_rate.ID, hit_rate.TITLE, hit_rate.check, ("hit_rate", "hits", "misses")),
    Check(cost_savings.ID, cost_savings.TITLE, cost_savings.check,
          ("savings", "baseline_cost_per_day", "current_cost_per_day")),
    Check(failure_docs.ID, failure_docs.TITLE, failure_docs.check, ("documented", "failures")),
    Check(query_diversity.ID, query_diversity.TITLE, query_diversity.check,
          ("diversity_score", "recommendation")),
)
BY_ID = {c.id: c for c in REGISTRY}
