"""Text from the learner's data, made safe for a terminal.

Key names, query texts, model names and file contents reach the terminal inside results. A
control character there could forge a result line (a newline, then ``[✓]``), retitle the window,
move the cursor or clear the screen (ESC sequences), or reorder what is shown (bidirectional
overrides). Each such character is shown as an escape instead: ``\\x1b``, ``\\n``, ``\\u202e``.
HTML and JSON need no such step: their encoders escape what they must.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, bidirectional marks, embeddings, overrides and isolates, and the
# Unicode line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control character shown as an escape: one line, nothing hidden."""
    return _UNSAFE.sub(_escape, text)
