"""What the page blocks call. One report per build, shared by every block.

A block stays thin: ``print(page.result("hit_rate"))``. The MkDocs hook calls
``reset()`` before each build, so ``mkdocs serve`` recomputes on every
rebuild while one build still reads each source once.
"""

from __future__ import annotations

import sys
from typing import Callable

from .config import for_build
from .errors import UsageError
from .render import (forecast_html, readiness_html, result_html, similarity_rule_html, verified_html,
                     worked_example_html)
from .result import Report
from .runner import run, unusable

_report: Report | None = None
OFF_TEXT = '<p class="bridge-off"><em>Checks switched off (BRIDGE_CHECKS=off).</em></p>'


def _off() -> bool:
    """``BRIDGE_CHECKS=off``: pages without results, for authors editing prose and for the floor of
    the build benchmark."""
    return not for_build().checks_on


CACHED_TEXT = (
    '<div class="admonition warning bridge-cached"><p class="admonition-title">These numbers may be old</p>'
    "<p>This page was built by Zensical without a build id. Zensical reuses a page whose source and "
    "configuration did not change, without running its checks again, so what you see may come from an "
    "earlier build. Build with <code>python scripts/dev.py build --engine zensical</code>, or serve with "
    "<code>python scripts/dev.py serve</code>, to measure afresh.</p></div>"
)


def _cached_warning() -> str:
    """Zensical (it marks markdown-exec as its caller) caches pages by source and configuration; a
    fresh BRIDGE_BUILD_ID in the configuration defeats that. Without one, the page says so: the
    warning is cached along with the numbers, so it shows as long as they might be old.

    ``_caller`` is markdown-exec's own attribute and not public, but it is the one reliable sign:
    Material for MkDocs imports the zensical package too, so its presence says nothing."""
    caller = getattr(sys.modules.get("markdown_exec"), "_caller", "")
    if caller == "zensical" and not for_build().build_id:
        return CACHED_TEXT
    return ""


def reset() -> None:
    global _report
    _report = None


def report() -> Report:
    global _report
    if _report is None:
        try:
            _report = run(for_build())
        except UsageError as exc:  # a bad BRIDGE_DATA or REDIS_URL shows on the page, not as a crash
            _report = unusable(exc)
    return _report


def _block(render: Callable[[Report], str]) -> str:
    """A page block's HTML: nothing when checks are off, the staleness warning when due, then ``render``
    of this build's one report."""
    if _off():
        return OFF_TEXT
    return _cached_warning() + render(report())


def result(check_id: str) -> str:
    return _block(lambda r: result_html(r[check_id]))


def readiness(base: str = "") -> str:
    return _block(lambda r: readiness_html(r, base))


def worked_example() -> str:
    """The recap's cost arithmetic with the learner's figures, from the cost check."""
    return _block(lambda r: worked_example_html(r["cost_savings"]))


def verified(base: str = "") -> str:
    """The overview's checklist, ticked from this build's results."""
    return _block(lambda r: verified_html(r, base))


def forecast() -> str:
    """The M2.2 page's forecast box."""
    return _block(lambda r: forecast_html(r.forecast))


def similarity_rule() -> str:
    """The recap's similarity rule of thumb against the learner's own replay."""
    return _block(lambda r: similarity_rule_html(r["query_diversity"]))


def repeat_accuracy() -> str:
    """The repeat judge's error on labelled logs from sources it was not fitted to, from its model file: the
    page quotes only these figures (the model file is the one the checks read, so they cannot drift apart)."""
    from .render import repeat_accuracy_html
    from .repeat import model_card

    return repeat_accuracy_html(model_card())
