"""Ready to add prompt optimisation without breaking the cache: do cache keys carry the model and the
prompt-template version?

M2.2 changes prompt templates and routes queries to other models. A response cache whose key is only
the question answers a new template, or a cheaper model's call, with an entry made for the old one.
The overview's fifth item asks for a key that includes both. Two kinds of evidence, never invented:

* the failures documentation says so (a line that names the key, the model and a template or prompt
  version), as the sample's hash-collision fix does;
* the live key sample (``evidence.py``, SCAN only) shows a version segment in the key prefixes
  (``resp:v3:…``, ``tpl2``, ``prompt-v4``). A model or version inside a hash cannot be seen there.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import BridgeError
from .files import find_files
from .result import Result

if TYPE_CHECKING:
    from .context import Context

_KEY = re.compile(r"\bkeys?\b|cache[ _-]?key", re.IGNORECASE)
_MODEL = re.compile(r"\bmodel", re.IGNORECASE)
_VERSION = re.compile(r"(?:template|prompt)[\w \-]{0,24}version|version[\w \-]{0,12}(?:template|prompt)"
                      r"|\btpl[-_]?v?\d+|\bprompt[-_]?v\d+|\btemplate[-_]?v?\d+", re.IGNORECASE)
_SEGMENT_VERSION = re.compile(r"^(?:v|ver|version|tpl|template|prompt|p)[-_]?v?\d+$", re.IGNORECASE)
DOC_FILES = ("failures_documentation.md", "FAILURES.md", "README.md")
MAX_LINES = 20_000


def documented_line(text: str, name: str) -> str | None:
    """``"FILE, line N"`` of the first line that puts the model and a template version in the key."""
    lines = text.splitlines()[:MAX_LINES]
    for number, line in enumerate(lines, 1):
        if _KEY.search(line) and _MODEL.search(line) and _VERSION.search(line):
            return f"{name}, line {number}"
    # A sentence may wrap: try each line with the next one.
    for number, (a, b) in enumerate(zip(lines, lines[1:]), 1):
        joined = f"{a} {b}"
        if _KEY.search(joined) and _MODEL.search(joined) and _VERSION.search(joined):
            return f"{name}, lines {number}-{number + 1}"
    return None


def versioned_prefixes(by_prefix: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(prefixes with a version segment, prefixes without one) of the live key sample."""
    with_v, without = [], []
    for prefix in by_prefix:
        segments = prefix.split(":")
        (with_v if any(_SEGMENT_VERSION.match(s) for s in segments) else without).append(prefix)
    return with_v, without


def judge(ctx: "Context", results: tuple[Result, ...]) -> dict[str, Any]:
    """``status``: ``verified`` (live keys show a version), ``documented``, ``missing`` (live keys without
    one, and nothing documented) or ``unknown``; ``sample`` when the evidence is the shipped sample's."""
    failures = next((r for r in results if r.id == "failure_docs"), None)
    where = None
    sample = False
    try:
        for path in find_files(ctx.folder, list(DOC_FILES)):
            where = documented_line(ctx.text(path), path.name)
            if where:
                sample = ctx.is_sample(path)
                break
    except BridgeError:
        where = None
    prefixes = ((failures.metrics.get("evidence") or {}).get("hash_collision") or {}).get("by_prefix") \
        if failures is not None else None
    with_v, without = versioned_prefixes(prefixes) if prefixes else ([], [])
    if with_v:
        return {"status": "verified", "sample": False, "where": where,
                "summary": f"Live keys carry a version segment ({', '.join(with_v[:3])})"
                           + (f", and {where} puts the model and template version in the key." if where else
                              "; make sure the model is in the key too.")}
    if where:
        text = f"Documented: {where} puts the model and the prompt-template version in the cache key."
        if without:
            text += (f" The live key prefixes ({', '.join(without[:3])}) show no version segment: if the version "
                     "is inside the hash, that is fine; if not, M2.2's new templates will hit old entries.")
        return {"status": "documented", "sample": sample, "where": where, "summary": text}
    if without:
        return {"status": "missing", "sample": False, "where": None,
                "summary": f"Live key prefixes ({', '.join(without[:3])}) show no template version, and no document "
                           "says the key includes the model and the prompt-template version."}
    return {"status": "unknown", "sample": ctx.config.files_are_sample, "where": None,
            "summary": "Nothing says whether your cache keys include the model and the prompt-template version: "
                       "say so in your hash-collision fix, or put a version segment in the key (resp:v3:…)."}
