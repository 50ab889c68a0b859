"""What a check is: its identity, where it is explained, how it runs and how its result is shown.

Each check module declares one ``CHECK``; ``registry.py`` lists them in order. Everything that
differs between checks lives on that object, so the runner, the renderers and readiness ask the
check instead of branching on its id (as check50 builds a result from its check).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from .result import Result, Status

if TYPE_CHECKING:
    from .context import Context


def _no_charts(result: Result) -> list[str]:
    return []


def _passed(result: Result) -> bool:
    return result.status is Status.PASS


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    bar: str  # the bar shown beside the learner's value
    page: str  # the page that explains it, relative to the site root
    run: Callable[["Context"], Result]
    metrics: tuple[str, ...] = ()  # keys every result carries in its metrics: null when not measured
    charts: Callable[[Result], list[str]] = _no_charts  # inline SVG pictures for the page
    satisfied: Callable[[Result], bool] = _passed  # does this result count towards readiness?

    def stamp(self, result: Result, with_bar: bool = True) -> Result:
        """The result with this check's identity, its metrics' keys filled in, and its readiness."""
        metrics = {**{k: None for k in self.metrics if k not in result.metrics}, **result.metrics}
        stamped = dataclasses.replace(result, id=self.id, title=self.title, metrics=metrics,
                                      bar=self.bar if with_bar else None)
        return dataclasses.replace(stamped, satisfies=self.satisfied(stamped))
