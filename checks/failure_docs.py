"""Check 3: the five production failures, each documented with a fix.

Every candidate file is read (not the first that exists). A failure is
*documented* when a section about it describes the problem and the fix in
real words; a section holding only the notebook's template is a placeholder,
and a bare mention in a list is only *found*. Synonyms count: a section headed
"Thundering herd" documents the cache stampede.
"""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass
from functools import cached_property

from .check import Check
from .context import Context
from .errors import BridgeError
from .files import find_files, modified_at
from .markdown import DOC_FILES, heading, sections
from .placeholders import find_placeholders, real_words
from .result import Result, Source, SourceKind, Status
from .traffic import stampedes

log = logging.getLogger(__name__)
ID = "failure_docs"
TITLE = "Five production failures documented"
BAR_TEXT = "bar: 5 of 5 documented"
MIN_WORDS = 3  # "Added TTL jitter." is a fix; "[Your solution]" is not


@dataclass(frozen=True)
class Failure:
    id: str
    name: str
    patterns: tuple[str, ...]

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile("|".join(self.patterns), re.IGNORECASE)


FAILURES = (
    Failure("cache_stampede", "Cache stampede on cold start",
            (r"stampede", r"thundering[\s-]*herd", r"dog[\s-]*pil(?:e|ing)")),
    Failure("stale_data", "Stale data after updates",
            (r"\bstale\b", r"\bstaleness\b", r"outdated (?:data|answers?|entries|cache)")),
    Failure("memory_overflow", "Redis memory overflow (OOM)",
            (r"memory overflow", r"\bOOM\b", r"out[\s-]of[\s-]memory", r"\bmaxmemory\b", r"memory limit")),
    Failure("hash_collision", "Hash collisions",
            (r"hash collisions?", r"key collisions?", r"\bcollisions?\b", r"\bcolliding\b")),
    Failure("connection_timeout", "Connection timeouts",
            (r"connection time-?outs?", r"\btime-?outs?\b", r"timed out")),
)

# States, worst to best; the best state across all files wins.
MISSING, FOUND, PLACEHOLDER, NO_FIX, DOCUMENTED = "missing", "found", "placeholder", "no_fix", "documented"
_RANK = {MISSING: 0, FOUND: 1, PLACEHOLDER: 2, NO_FIX: 3, DOCUMENTED: 4}
STATE_TEXT = {
    MISSING: "not mentioned",
    FOUND: "mentioned, but no section describes it",
    PLACEHOLDER: "only template text",
    NO_FIX: "problem described, no fix",
    DOCUMENTED: "documented with a fix",
}

# Every pattern here runs in linear time on any line: no two unbounded repetitions can trade
# characters (a line of 3,000 spaces, or a 5 MB document, must not stall a build).
_PROBLEM_WORDS = r"problem|issue|symptoms?|root cause|cause|what happened|what went wrong|impact"
_FIX_WORDS = r"fix(?:es)?|solution|mitigation|resolution|remedy|prevention|how (?:i|we) fixed it|workaround"
# "**Fix:** ...", "- Fix: ...", "Solution — ...", matched against the line with its indentation removed
_LABEL = r"(?:[-*+][ \t]+)?(?:\*\*|__)?[ \t]*(?:the[ \t]+)?(?:{words})[ \t]*(?:(?:\*\*|__)[ \t]*)?[:\-–—][ \t]*(?:\*\*|__)?"
_PROBLEM = re.compile(_LABEL.format(words=_PROBLEM_WORDS), re.IGNORECASE)
_FIX = re.compile(_LABEL.format(words=_FIX_WORDS), re.IGNORECASE)
# "### Problem", "#### The fix" as sub-headings
_PROBLEM_HEAD = re.compile(rf"^(?:the\s+)?(?:{_PROBLEM_WORDS})\b", re.IGNORECASE)
_FIX_HEAD = re.compile(rf"^(?:the\s+)?(?:{_FIX_WORDS})\b", re.IGNORECASE)
_FIX_CUE = re.compile(r"\b(fix(?:ed)?|solv\w*|mitigat\w*|resolv\w*|prevent\w*|added|switched|introduced|"
                      r"now use\w*|changed)\b", re.IGNORECASE)


def judge_section(body: str) -> str:
    """The state one section about a failure reaches."""
    problem: list[str] = []
    fix: list[str] = []
    plain: list[str] = []
    current = plain
    for line in body.splitlines():
        if head := heading(line):
            title = head[1].strip("*_ ")
            if _FIX_HEAD.match(title):
                current = fix
            elif _PROBLEM_HEAD.match(title):
                current = problem
            else:
                break  # another topic (perhaps the next failure) is not this section's text
            continue
        bare = line.lstrip()
        if m := _FIX.match(bare):
            current, line = fix, bare[m.end():]
        elif m := _PROBLEM.match(bare):
            current, line = problem, bare[m.end():]
        current.append(line)
    text = "\n".join(problem + fix + plain)
    placeholders = bool(find_placeholders(text))
    if not real_words(text):
        return PLACEHOLDER if placeholders else FOUND
    has_problem = len(real_words("\n".join(problem or plain))) >= MIN_WORDS
    if fix:
        has_fix = len(real_words("\n".join(fix))) >= MIN_WORDS
    else:  # no "Fix:" label: accept prose that says what was done about it
        prose = "\n".join(plain)
        has_fix = len(real_words(prose)) >= 12 and bool(_FIX_CUE.search(prose))
    if has_problem and has_fix:
        return DOCUMENTED
    if has_problem:
        return NO_FIX
    if has_fix:  # the heading names the problem; a leftover template placeholder does not
        return PLACEHOLDER if placeholders else DOCUMENTED
    return PLACEHOLDER if placeholders else FOUND


@dataclass(frozen=True)
class Finding:
    state: str
    where: str = ""  # "FAILURES.md, line 12"


# Bounds that keep a hostile document linear: no real section is this long, nor this repeated.
MAX_SECTION_CHARS = 256 * 1024
MAX_SECTIONS_JUDGED = 1000  # per failure
# One scan of the lowered text finds every mention of every failure (faster than a case-blind scan).
_ANY_FAILURE = re.compile("|".join(p.lower() for f in FAILURES for p in f.patterns))
_INNER_SPACE = re.compile(r"(?<=\S)[ \t]{2,}")
_LEAD_SPACE = re.compile(r"^[ \t]{5,}", re.MULTILINE)


def _squeeze(text: str) -> str:
    """Runs of spaces and tabs made short (line numbers unchanged): they mean nothing to the judge,
    and a line of a million spaces must cost no more than a line of one."""
    return _LEAD_SPACE.sub("    ", _INNER_SPACE.sub(" ", text))


def _mentions(text: str) -> dict[str, list[int]]:
    """Failure id -> the 1-based lines that mention it, from one scan of the whole text."""
    low = text.lower()  # lower() keeps every newline where it was, so line numbers hold
    newlines = [m.start() for m in re.finditer("\n", low)]
    out: dict[str, list[int]] = {f.id: [] for f in FAILURES}
    for match in _ANY_FAILURE.finditer(low):
        line = bisect.bisect_right(newlines, match.start()) + 1
        for failure in FAILURES:
            if failure.regex.search(match.group(0)):
                out[failure.id].append(line)
    return out


def assess(text: str, name: str) -> dict[str, Finding]:
    """Each failure's best state in one document."""
    text = _squeeze(text)
    mentions = _mentions(text)
    lines_named = {line for lines in mentions.values() for line in lines}
    named = [sec for sec in sections(text) if sec.line in lines_named]
    found = {}
    for failure in FAILURES:
        best = Finding(MISSING)
        judged = 0
        for sec in named:
            if best.state == DOCUMENTED or judged >= MAX_SECTIONS_JUDGED:
                break
            if failure.regex.search(sec.heading):
                judged += 1
                state = judge_section(sec.body[:MAX_SECTION_CHARS])
                if _RANK[state] > _RANK[best.state]:
                    best = Finding(state, f"{name}, line {sec.line}")
        if best.state == MISSING and mentions[failure.id]:
            best = Finding(FOUND, f"{name}, line {mentions[failure.id][0]}")
        found[failure.id] = best
    return found


NAMES = {f.id: f.name for f in FAILURES}
SHAPES = {"python_hash": "Python-hash()-shaped", "other": "other"}


def _evidence(ctx: Context) -> tuple[dict, list[str]]:
    """Live evidence per failure (Redis, query log), and the lines that show it. Never raises."""
    evidence: dict = {}
    lines: list[str] = []
    if ctx.redis is not None:
        try:
            evidence.update(ctx.redis_evidence())
        except BridgeError as exc:
            lines.append(f"No live Redis evidence: {exc.message}")
        except Exception as exc:  # evidence is a side note: it never breaks the failures check
            log.error("live Redis evidence failed: %s", exc.__class__.__name__)
            lines.append(f"No live Redis evidence: gathering it failed ({exc.__class__.__name__}).")
    try:
        traffic = ctx.traffic()
    except BridgeError:
        traffic = None
    if traffic is not None and len(traffic.queries.ids):
        evidence["cache_stampede"] = stampedes(traffic, ctx.config.redact)
    facts = {
        "cache_stampede": lambda e: f"{e['bursts']:,} bursts of misses for one query in the query log",
        "stale_data": lambda e: ("no keys" if e["share_without_ttl"] is None else
                                 f"{e['share_without_ttl']:.0%} of {e['keys']:,} keys without a TTL"),
        "memory_overflow": lambda e: (f"maxmemory {e['maxmemory']:,} bytes ({'no limit' if not e['maxmemory'] else 'set'}),"
                                      f" policy {e['maxmemory_policy']}, used {e['used_memory']:,} bytes, "
                                      f"{e['evicted_keys']:,} evicted"),
        "hash_collision": lambda e: "key names not sampled" if e["sampled_keys"] is None else
        f"{e['sampled_keys']:,} keys sampled with SCAN" + (": " + "; ".join(
            f"{prefix} " + ", ".join(f"{n} {SHAPES.get(shape) or shape[3:] + '-hex'}" for shape, n in shapes.items())
            for prefix, shapes in e["by_prefix"].items()) if e["by_prefix"] else ""),
        "connection_timeout": lambda e: (
            (f"PING median {e['ping_ms_median']:.1f} ms, worst {e['ping_ms_worst']:.1f} ms; "
             if e["ping_ms_median"] is not None else "")
            + f"{e['rejected_connections']:,} rejected connections"
            + (f"; server timeout {e['timeout_s']} s" if e["timeout_s"] is not None else "")),
    }
    for fid, describe in facts.items():
        if fid in evidence:
            lines.append(f"Evidence, {NAMES[fid]}: {describe(evidence[fid])}.")
            lines.extend(f"Finding, {NAMES[fid]}: {f}" for f in evidence[fid]["findings"])
    lines.extend(evidence.get("notes", []))
    return evidence, lines


def check(ctx: Context) -> Result:
    """Five production failures documented"""
    paths = find_files(ctx.folder, DOC_FILES)
    metrics: dict[str, object] = {"documented": 0, "failures": {f.id: MISSING for f in FAILURES},
                                  "files": [p.name for p in paths]}
    evidence, evidence_lines = _evidence(ctx)
    if evidence:
        metrics["evidence"] = evidence
    if not paths:
        return Result(Status.FAIL,
                      f"No failures_documentation.md, FAILURES.md or README.md in {ctx.describe(ctx.folder)}.",
                      Source(SourceKind.SAMPLE if ctx.config.files_are_sample else SourceKind.FILE,
                             ctx.describe(ctx.folder)),
                      "Document each of the five failures with its problem and your fix; "
                      "`python -m checks init DIR` writes a template to fill in.",
                      "0 of 5 documented", metrics, tuple(evidence_lines))
    best = {f.id: Finding(MISSING) for f in FAILURES}
    for path in paths:
        for fid, finding in assess(ctx.text(path), path.name).items():
            if _RANK[finding.state] > _RANK[best[fid].state]:
                best[fid] = finding
    documented = sum(1 for f in best.values() if f.state == DOCUMENTED)
    metrics.update(documented=documented, failures={fid: f.state for fid, f in best.items()},
                   where={fid: f.where for fid, f in best.items() if f.where})
    newest = max(paths, key=lambda p: p.stat().st_mtime)
    kind = SourceKind.SAMPLE if any(ctx.is_sample(p) for p in paths) else SourceKind.FILE
    source = Source(kind, ", ".join(ctx.describe(p) for p in paths), modified_at(newest))
    details = tuple(
        f"{'✓' if best[f.id].state == DOCUMENTED else '✗'} {f.name}: {STATE_TEXT[best[f.id].state]}"
        + (f" ({best[f.id].where})" if best[f.id].where else "")
        for f in FAILURES) + tuple(evidence_lines)
    value = f"{documented} of 5 documented"
    findings = [f for e in evidence.values() if isinstance(e, dict) for f in e.get("findings", [])]
    if documented == len(FAILURES):
        return Result(Status.PASS, "All five failures are documented with fixes."
                      + (f" The live evidence shows {len(findings)} finding{'s' if len(findings) != 1 else ''} "
                         "to check against your fixes." if findings else ""),
                      source, "", value, metrics, details)
    todo = [f"{f.name} ({STATE_TEXT[best[f.id].state]})" for f in FAILURES if best[f.id].state != DOCUMENTED]
    return Result(Status.FAIL, f"{documented} of 5 failures documented with fixes.",
                  source, "Write the problem and the fix for: " + "; ".join(todo) + ". "
                  "Skipping this costs hours when caching meets optimised prompts in M2.2.",
                  value, metrics, details)


CHECK = Check(ID, TITLE, BAR_TEXT, "checks/failures/", check, ("documented", "failures"))
