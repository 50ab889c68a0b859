"""Remember a value, or the exception computing it raised: one attempt per key per run.

A run reads each source once however many checks and page blocks look at it, and a source
that failed is not tried again (an unreachable Redis costs one deadline, a broken file one read):
each asker gets the same value, or the same error to report.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, TypeVar

T = TypeVar("T")


class Memo:
    def __init__(self) -> None:
        self._done: dict[Hashable, tuple[bool, Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        if key not in self._done:
            try:
                self._done[key] = (True, compute())
            except Exception as exc:  # remembered and raised again to every asker
                self._done[key] = (False, exc)
        ok, value = self._done[key]
        if not ok:
            raise value
        return value
