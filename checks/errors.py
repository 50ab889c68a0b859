"""The package's errors.

    BridgeError                 base: the CLI and the runner catch this once
    ├── InputError              a file or source is present but unusable -> status "error"
    │   └── TemplateData        a file still holds the notebook's template text -> "error"
    ├── NotMeasured             nothing to measure; says what to provide -> status "skip"
    └── UsageError              bad command-line or configuration -> exit 2

Every message names the file (and line, where there is one) or the source.
Any other exception raised inside a check is a bug in the checker: the
runner turns it into an "error" result that says so, never a traceback on a page.
"""

from __future__ import annotations


class BridgeError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(BridgeError):
    """Input present but unusable (malformed, wrong type, too large, binary, refused)."""


class TemplateData(InputError):
    """A file that still holds the notebook's template: not data."""


class NotMeasured(BridgeError):
    """Nothing to measure; the hint says what to provide."""


class UsageError(BridgeError):
    """Bad command-line arguments or configuration."""
