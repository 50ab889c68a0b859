"""Template and placeholder text: never documentation, never data.

The notebook writes templates into the learner's folder ("Replace with actual
metrics", "[Describe the issue]"). A file or a section that still holds them
proves nothing, so the checks look for them before believing anything.
"""

from __future__ import annotations

import re

# Each pattern is a thing people leave behind instead of content. Every repetition is bounded
# and stops at the next opening bracket, so that no line, however long or hostile, costs more
# than linear time.
_PATTERNS = [
    r"replace with (?:actual|real|your)\b",
    r"\[(?:describe|your|insert|add|todo|tbd|fill)[^\[\]\n]{0,200}\]",
    r"\bTODO\b",
    r"\bTBD\b",
    r"\bFIXME\b",
    r"lorem ipsum",
    r"<(?:describe|your|insert|fill)[^<>\n]{0,200}>",
]
_PLACEHOLDER = re.compile("|".join(_PATTERNS), re.IGNORECASE)

# What is left of a line once placeholders and markdown punctuation are gone.
_MARKUP = re.compile(r"[*_`#>\-\[\]():|.,;!?\"']+")


def find_placeholders(text: str) -> list[str]:
    """The placeholder snippets in ``text``, in order, without repeats."""
    seen: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        snippet = match.group(0)
        if snippet not in seen:
            seen.append(snippet)
    return seen


def real_words(text: str) -> list[str]:
    """The words of ``text`` that are neither placeholder nor markup."""
    stripped = _PLACEHOLDER.sub(" ", text)
    stripped = _MARKUP.sub(" ", stripped)
    return [w for w in stripped.split() if any(c.isalnum() for c in w)]


def strings_in(value: object) -> list[str]:
    """Every string inside a JSON value, keys included (iteratively: depth costs no stack)."""
    out: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for k, v in reversed(list(item.items())):
                stack.append(v)
                stack.append(str(k))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return out
