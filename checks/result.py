"""The result every check returns, and where its numbers came from.

A result is a frozen record. Checks build one; renderers read it; nothing
else changes it. Its JSON form is documented in ``schemas/report.schema.json``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(str, enum.Enum):
    """What a check concluded.

    ``skip`` means the check could not measure (it says what to provide);
    ``error`` means the input was present but unusable, or the checker failed.
    """

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


class SourceKind(str, enum.Enum):
    REDIS = "redis"
    FILE = "file"
    SAMPLE = "sample"
    NONE = "none"


@dataclass(frozen=True)
class Source:
    """Where a result's numbers came from, and when they were measured."""

    kind: SourceKind
    detail: str
    measured_at: str | None = None  # ISO-8601, UTC

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "detail": self.detail, "measured_at": self.measured_at}


NO_SOURCE = Source(SourceKind.NONE, "nothing to measure")


@dataclass(frozen=True)
class Result:
    """One check's verdict.

    ``value`` and ``bar`` are short texts shown side by side
    ("hit rate 27.0%" / "bar >= 30%"); ``hint`` leads every non-pass result;
    ``details`` are the lines shown with ``-v`` and on the page.
    """

    id: str
    title: str
    status: Status
    summary: str
    source: Source = NO_SOURCE
    hint: str = ""
    value: str | None = None
    bar: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    details: tuple[str, ...] = ()

    @property
    def sample(self) -> bool:
        return self.source.kind is SourceKind.SAMPLE

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "sample": self.sample,
            "summary": self.summary,
            "hint": self.hint,
            "value": self.value,
            "bar": self.bar,
            "source": self.source.to_dict(),
            "metrics": dict(self.metrics),
            "details": list(self.details),
        }
