"""Running checks: the one place where exceptions become results.

``NotMeasured`` becomes ``skip``, ``InputError`` becomes ``error`` with its
message, and any other exception becomes an ``error`` that says the checker
itself failed. Every text that leaves here has the Redis password masked.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from .config import Config
from .context import Context
from .errors import InputError, NotMeasured, UsageError
from .registry import BY_ID, REGISTRY, Check
from .result import NO_SOURCE, Result, Source, SourceKind, Status
from .secrets import scrub
from .text import terminal_safe

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Report:
    generated_at: str
    results: tuple[Result, ...]
    config: Config

    @property
    def complete(self) -> bool:
        """Every registered check ran (not a selection made with ``--only``)."""
        return {r.id for r in self.results} == {c.id for c in REGISTRY}

    @property
    def ready(self) -> bool:
        """Ready for M2.2 only when every registered check ran and passed on the learner's own data.

        The notebook's one exception: a hit rate under 30% with a documented mitigation strategy.
        """
        return self.complete and all(_satisfied(r) and not r.sample for r in self.results)

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
            reasons.append(f"only {len(self.results)} of the {len(REGISTRY)} checks ran, and readiness needs "
                           "every one of them")
        not_passed = [r.title for r in self.results if not _satisfied(r)]
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
        }


def _satisfied(r: Result) -> bool:
    if r.status is Status.PASS:
        return True
    return r.id == "hit_rate" and r.status is Status.WARN and bool(r.metrics.get("mitigation"))


def _source_for_error(ctx: Context) -> Source:
    # Sample mode reads nothing but the sample, so even its skips and errors are about the sample.
    if ctx.config.files_are_sample and not ctx.config.redis_enabled:
        return Source(SourceKind.SAMPLE, "shipped sample data")
    return NO_SOURCE


def run_check(check: Check, ctx: Context) -> Result:
    try:
        result = check.run(ctx)
    except NotMeasured as exc:
        result = Result(check.id, check.title, Status.SKIP, exc.message, _source_for_error(ctx),
                        exc.hint or "Provide the data this check reads (see the data formats page).")
    except InputError as exc:
        result = Result(check.id, check.title, Status.ERROR, exc.message, _source_for_error(ctx),
                        exc.hint or "Fix the input named above.")
    except Exception as exc:  # a bug in the checker: shown apart from a failed check, never a traceback
        trace = scrub(traceback.format_exc(), ctx.config.secrets)
        log.error("check %s crashed:\n%s", check.id, "\n".join(terminal_safe(x) for x in trace.splitlines()))
        result = Result(check.id, check.title, Status.ERROR,
                        f"The checker itself failed ({exc.__class__.__name__}: {exc}).", NO_SOURCE,
                        "This is a bug in the checks package, not in your work; please report it "
                        "with the output of python -m checks -v.")
    missing = {k: None for k in check.metrics if k not in result.metrics}
    if missing:
        result = dataclasses.replace(result, metrics={**missing, **result.metrics})
    return _masked(result, ctx.config.secrets)


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, enum.Enum):
        return value
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub(v, secrets) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _scrub(getattr(value, f.name), secrets)
                                             for f in dataclasses.fields(value)})
    return value


def _masked(result: Result, secrets: tuple[str, ...]) -> Result:
    """The result with every secret replaced: belt and braces over mask_url."""
    return _scrub(result, secrets) if secrets else result


def select(only: Iterable[str] | None) -> tuple[Check, ...]:
    if not only:
        return REGISTRY
    unknown = [i for i in only if i not in BY_ID]
    if unknown:
        raise UsageError(f"unknown check id: {', '.join(unknown)}",
                         f"Known ids: {', '.join(BY_ID)} (python -m checks --list).")
    return tuple(c for c in REGISTRY if c.id in set(only))


def run(config: Config, only: Iterable[str] | None = None) -> Report:
    checks = select(only)
    ctx = Context(config)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return Report(stamp, tuple(run_check(c, ctx) for c in checks), config)
