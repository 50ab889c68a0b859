"""Running checks: the one place where exceptions become results.

``NotMeasured`` becomes ``skip``, ``InputError`` becomes ``error`` with its
message, and any other exception becomes an ``error`` that says the checker
itself failed. The check then stamps its identity on the result. Every text
that leaves here has the Redis password masked.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import traceback
from datetime import datetime, timezone
from typing import Any, Iterable

from .check import Check
from .config import Config
from .context import Context
from .errors import InputError, NotMeasured, UsageError
from .registry import BY_ID, REGISTRY
from .result import NO_SOURCE, Report, Result, Source, SourceKind, Status
from .secrets import scrub
from .text import terminal_safe

log = logging.getLogger(__name__)


def _source_for_error(ctx: Context) -> Source:
    # Sample mode reads nothing but the sample, so even its skips and errors are about the sample.
    if ctx.config.files_are_sample and not ctx.config.redis_enabled:
        return Source(SourceKind.SAMPLE, "shipped sample data")
    return NO_SOURCE


def run_check(check: Check, ctx: Context) -> Result:
    try:
        result = check.stamp(check.run(ctx))
    except NotMeasured as exc:
        result = check.stamp(Result(Status.SKIP, exc.message, _source_for_error(ctx),
                                    exc.hint or "Provide the data this check reads (see the data formats page)."),
                             with_bar=False)
    except InputError as exc:
        result = check.stamp(Result(Status.ERROR, exc.message, _source_for_error(ctx),
                                    exc.hint or "Fix the input named above."), with_bar=False)
    except Exception as exc:  # a bug in the checker: shown apart from a failed check, never a traceback
        trace = scrub(traceback.format_exc(), ctx.config.secrets)
        log.error("check %s crashed:\n%s", check.id, "\n".join(terminal_safe(x) for x in trace.splitlines()))
        result = check.stamp(Result(Status.ERROR, f"The checker itself failed ({exc.__class__.__name__}: {exc}).",
                                    NO_SOURCE, "This is a bug in the checks package, not in your work; please "
                                    "report it with the output of python -m checks -v."), with_bar=False)
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


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def run(config: Config, only: Iterable[str] | None = None) -> Report:
    """Every selected check, on one ``Context``; ``UsageError`` when the configuration is unusable."""
    config.validate()
    checks = select(only)
    ctx = Context(config)
    stamp = now()
    results = tuple(run_check(c, ctx) for c in checks)
    report = Report(stamp, results, tuple(BY_ID))
    if report.complete:  # a selection (--only) asks for its checks, not what is built on all of them
        from . import template_keys
        from .forecast import for_report

        report = dataclasses.replace(report, forecast=_built_on(for_report, ctx, results, "The forecast"),
                                     template_keys=_built_on(template_keys.judge, ctx, results,
                                                             "The template-key check"))
    return report


def _built_on(compute, ctx: Context, results: tuple[Result, ...], what: str) -> dict[str, Any]:
    """What is built on all the checks (the M2.2 forecast, the template-key item), its exceptions turned
    into a status as ``run_check`` turns a check's: it never costs the learner the checks' results."""
    sample = _source_for_error(ctx).kind is SourceKind.SAMPLE
    try:
        out = compute(ctx, results)
    except NotMeasured as exc:
        out = {"status": "skip", "summary": exc.message, "hint": exc.hint, "sample": sample}
    except InputError as exc:
        out = {"status": "error", "summary": exc.message, "hint": exc.hint or "Fix the input named above.",
               "sample": sample}
    except Exception as exc:  # a bug in the checker: said so, never a traceback on a page
        trace = scrub(traceback.format_exc(), ctx.config.secrets)
        log.error("%s crashed:\n%s", what, "\n".join(terminal_safe(x) for x in trace.splitlines()))
        out = {"status": "error", "summary": f"{what} itself failed ({exc.__class__.__name__}).",
               "hint": "This is a bug in the checks package, not in your work; please report it with the output "
                       "of python -m checks -v.", "sample": sample}
    return _scrub(out, ctx.config.secrets) if ctx.config.secrets else out


def unusable(exc: UsageError) -> Report:
    """A report where every check shows the same configuration error (for pages, which cannot exit 2)."""
    return Report(now(), tuple(c.stamp(Result(Status.ERROR, exc.message, hint=exc.hint), with_bar=False)
                               for c in REGISTRY), tuple(BY_ID))
