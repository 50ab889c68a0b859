"""The result every check returns, and where its numbers came from.

A result is a frozen record. Checks build one, the runner stamps its identity, renderers read
it; nothing else changes it. A report is one run's results and the readiness verdict. Their JSON
form is documented in ``schemas/report.schema.json``.
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

    A check returns what varies: ``status``, ``summary``, where the numbers came from, the
    ``hint`` that leads every non-pass result, the learner's ``value`` (shown beside the bar:
    "hit rate 27.0%" / "bar ≥ 30%"), ``metrics`` and the ``details`` shown with ``-v`` and on the
    page. The runner stamps the rest from the check that produced it (its ``id``, ``title`` and
    ``bar``, and whether the result counts towards readiness): a check never repeats them.
    """

    status: Status
    summary: str
    source: Source = NO_SOURCE
    hint: str = ""
    value: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    details: tuple[str, ...] = ()
    # Stamped by the runner (``Check.stamp``):
    id: str = ""
    title: str = ""
    bar: str | None = None
    satisfies: bool = False  # counts towards readiness, as the check judges it (not part of the JSON)

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


SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Report:
    """One run: every result, and whether the learner is ready for M2.2."""

    generated_at: str
    results: tuple[Result, ...]
    expected: tuple[str, ...]  # the ids of every registered check
    forecast: dict[str, Any] | None = None  # what M2.2 would save on the learner's traffic (forecast.py)
    template_keys: dict[str, Any] | None = None  # do cache keys carry model and template version (template_keys.py)

    def __getitem__(self, check_id: str) -> Result:
        for r in self.results:
            if r.id == check_id:
                return r
        raise KeyError(f"no result for check {check_id!r}")

    def get(self, check_id: str) -> Result | None:
        return next((r for r in self.results if r.id == check_id), None)

    @property
    def complete(self) -> bool:
        """Every registered check ran (not a selection made with ``--only``)."""
        return {r.id for r in self.results} == set(self.expected)

    @property
    def ready(self) -> bool:
        """Ready for M2.2 only when every registered check ran and satisfied its bar on the learner's
        own data (each check says what satisfies it: a pass, or for the hit rate under 30% the
        notebook's one exception, a documented mitigation strategy)."""
        return self.complete and all(r.satisfies and not r.sample for r in self.results)

    @property
    def readiness_summary(self) -> str:
        counts = {s: sum(1 for r in self.results if r.status is s) for s in Status}
        tally = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
        samples = sum(1 for r in self.results if r.sample)
        if self.ready:
            if all(r.status is Status.PASS for r in self.results):
                return f"Ready for M2.2: all {len(self.results)} checks passed on your own data."
            return ("Ready for M2.2: every check passed on your own data, the hit rate through its "
                    "documented mitigation strategy.")
        reasons = []
        if not self.complete:
            reasons.append(f"only {len(self.results)} of the {len(self.expected)} checks ran, and readiness needs "
                           "every one of them")
        not_passed = [r.title for r in self.results if not r.satisfies]
        if not_passed:
            reasons.append("not passed: " + ", ".join(not_passed))
        if samples:
            reasons.append(f"{samples} result{'s' if samples != 1 else ''} from shipped sample data, "
                           f"which never count{'s' if samples == 1 else ''} towards readiness")
        return f"Not ready for M2.2 yet ({tally}); " + "; ".join(reasons) + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_at": self.generated_at,
            "results": [r.to_dict() for r in self.results],
            "readiness": {"ready": self.ready, "summary": self.readiness_summary},
            "forecast": self.forecast,
            "template_keys": self.template_keys,
        }
