"""Markdown sections, as the failures check and the mitigation lookup read them.

A section is a heading, ATX (``## Title``) or setext (a title line underlined with ``===`` or
``---``), with the text up to the next heading of its level or above; headings inside fenced code
do not count. Parsing is linear in the size of the document,
whatever its shape: every pattern is free of backtracking that could trade characters, and the
sections are found in one pass with a stack of open headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The learner's own documents, every one of them read (not the first that exists).
DOC_FILES = ["failures_documentation.md", "FAILURES.md", "README.md"]

# Every pattern here runs in linear time on any line: no two unbounded repetitions can trade
# characters (a heading of 3,000 spaces, or a 5 MB document, must not stall a build).
_ATX = re.compile(r"(#{1,6})(?:[ \t]+(.*))?\Z")
_CLOSING = re.compile(r"(?:^|[ \t])#+\Z")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*\Z")
_NOT_SETEXT_TITLE = re.compile(r"\s*(?:[-*+>|]|\d+[.)]|#|```|~~~)")  # list items, quotes, tables, headings


@dataclass(frozen=True)
class Section:
    heading: str
    line: int  # 1-based line of the heading
    lines: list[str] = field(repr=False, compare=False)  # the whole document's lines, shared
    end: int = 0  # index of the line after the body
    start: int = -1  # index of the first body line (after a setext underline); -1: the line after the heading

    @property
    def first(self) -> int:
        return self.line if self.start < 0 else self.start

    @property
    def body(self) -> str:
        """The text under the heading, joined only when asked for (most sections never are)."""
        return "\n".join(self.lines[self.first:self.end])

    def numbered(self) -> list[tuple[int, str]]:
        """The body's lines with their 1-based line numbers."""
        return [(i + 1, self.lines[i]) for i in range(self.first, self.end)]


def heading(line: str) -> tuple[int, str] | None:
    """(level, title) of an ATX heading line (``## Title ##``), else None. Up to three spaces may
    indent it; a closing run of ``#`` is not part of the title."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped.startswith("#"):
        return None
    match = _ATX.match(stripped.rstrip())
    if match is None:
        return None
    title = (match.group(2) or "").strip()
    if title.endswith("#"):
        closing = _CLOSING.search(title)
        if closing:
            title = title[:closing.start()].rstrip()
    return len(match.group(1)), title


def sections(text: str) -> list[Section]:
    """Markdown sections: each heading with the text up to the next heading of its level or above.

    One pass with a stack of open headings: linear in the number of lines and headings."""
    lines = text.splitlines()
    ends: dict[int, int] = {}
    heads: list[tuple[int, int, str, int]] = []  # (index of the title line, level, title, first body index)
    open_: list[tuple[int, int]] = []  # (position in heads, level) of headings not yet closed
    fenced = False
    previous_plain = False  # whether the line before could be a setext title
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            previous_plain = False
            continue
        if fenced:
            continue
        head = heading(line)
        at, first = i, i + 1
        if head is None and previous_plain and (m := _SETEXT.match(line)):
            head = (1 if m.group(1)[0] == "=" else 2, lines[i - 1].strip())
            at, first = i - 1, i + 1
            if open_ and heads[open_[-1][0]][0] == i - 1:  # never: a title line is not itself a heading
                head = None
        if head is None:
            previous_plain = bool(line.strip()) and not _NOT_SETEXT_TITLE.match(line)
            continue
        previous_plain = False
        level, title = head
        while open_ and open_[-1][1] >= level:
            ends[open_.pop()[0]] = at
        open_.append((len(heads), level))
        heads.append((at, level, title, first))
    return [Section(title, i + 1, lines, ends.get(n, len(lines)), first)
            for n, (i, level, title, first) in enumerate(heads)]
