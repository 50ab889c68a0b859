"""Check 3: the five production failures, each documented with a fix.

Every candidate file is read (not the first that exists). A failure is
*documented* when a place about it (a section under an ATX or setext heading,
a table row with a fix column, or a list item naming it) describes the problem
and a fix, and the fix names a mitigation that fits that failure (a lock or
jitter for a stampede, a TTL or invalidation for stale data, ...), stated as
done: "Fix: not fixed yet", "TODO", "n/a" or "blah" are not fixes, and neither
is "we added more logging" for a timeout. Label-less prose counts where a
sentence says what was done. Every verdict names the line it relied on.
Synonyms count: a section headed "Thundering herd" documents the stampede.
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
    mitigations: tuple[str, ...]  # what a fix for this failure names

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile("|".join(self.patterns), re.IGNORECASE)

    @cached_property
    def fits(self) -> re.Pattern[str]:
        return re.compile("|".join(self.mitigations), re.IGNORECASE)


FAILURES = (
    Failure("cache_stampede", "Cache stampede on cold start",
            (r"stampede", r"thundering[\s-]*herd", r"dog[\s-]*pil(?:e|ing)"),
            (r"\block(?:s|ing|ed)?\b", r"\bmutex", r"single[\s-]?flight", r"coalesc", r"collaps", r"de-?duplicat",
             r"early (?:refresh|expir|recomput)", r"probabilistic", r"x-?fetch", r"jitter", r"\bwarm",
             r"pre-?comput", r"pre-?fetch", r"semaphore", r"\bqueue", r"stale-while-revalidate",
             r"refresh[\s-]ahead", r"background refresh", r"\bNX\b", r"rate[\s-]limit")),
    Failure("stale_data", "Stale data after updates",
            (r"\bstale\b", r"\bstaleness\b", r"outdated (?:data|answers?|entries|cache)"),
            (r"\bttls?\b", r"expir", r"invalidat", r"\bevents?\b", r"pub/?sub", r"publish", r"subscri",
             r"webhook", r"change data capture", r"\bcdc\b", r"version", r"\btag(?:s|ged|ging)?\b", r"purg",
             r"write[\s-]through", r"\bbust", r"delete[sd]? (?:the |every |all )?(?:cache|entr|key)")),
    Failure("memory_overflow", "Redis memory overflow (OOM)",
            (r"memory overflow", r"\bOOM\b", r"out[\s-]of[\s-]memory", r"\bmaxmemory\b", r"memory limit"),
            (r"maxmemory", r"evict", r"\blru\b", r"\blfu\b", r"allkeys", r"volatile-", r"size limit",
             r"memory limit", r"\bcap(?:ped|s)?\b", r"\bttls?\b", r"expir", r"compress", r"quantiz",
             r"\bshard", r"\bcluster", r"max[\s-]?size", r"float16|int8")),
    Failure("hash_collision", "Hash collisions",
            (r"hash collisions?", r"key collisions?", r"\bcollisions?\b", r"\bcolliding\b"),
            (r"full(?:[\s-]length)? (?:\w+ )?(?:hash|digest|sha)", r"sha-?256", r"sha-?512", r"blake2?",
             r"(?:longer|wider|\d{2,}[\s-]bit) (?:hash|key|digest)", r"namespac", r"prefix",
             r"(?:model|template|prompt[\s-]template|version)[^.\n]{0,40}\bkeys?\b",
             r"\bkeys?\b[^.\n]{0,40}(?:model|template|version)", r"verif", r"store[sd]? the (?:original|full)",
             r"compar\w* the (?:stored|original|full)", r"\buuid", r"hashlib")),
    Failure("connection_timeout", "Connection timeouts",
            (r"connection time-?outs?", r"\btime-?outs?\b", r"timed out"),
            (r"time-?outs? of", r"socket_(?:connect_)?timeout", r"\d+\s*m?s\b[^.\n]{0,30}time-?out",
             r"time-?out[^.\n]{0,30}\d+\s*m?s\b", r"\bretr(?:y|ies)", r"back-?off", r"circuit[\s-]?breaker",
             r"fall(?:s|ing)?[\s-]?back", r"\bpool", r"keep-?alive", r"health[\s-]?check", r"deadline",
             r"bulkhead", r"set (?:a |the )?(?:connect |read |socket )*time-?outs?")),
)

# States, worst to best; the best state across all places wins.
MISSING, FOUND, PLACEHOLDER, NO_FIX, NOT_FIXED, UNFIT, DOCUMENTED = (
    "missing", "found", "placeholder", "no_fix", "not_fixed", "unfit", "documented")
_RANK = {MISSING: 0, FOUND: 1, PLACEHOLDER: 2, NO_FIX: 3, NOT_FIXED: 3, UNFIT: 3, DOCUMENTED: 4}
STATE_TEXT = {
    MISSING: "not mentioned",
    FOUND: "mentioned, but no section describes it",
    PLACEHOLDER: "only template text",
    NO_FIX: "problem described, no fix",
    NOT_FIXED: "the fix says it is not done, or is a placeholder",
    UNFIT: "the fix names nothing that mitigates this failure",
    DOCUMENTED: "documented with a fix",
}

# Every pattern here runs in linear time on any line: no two unbounded repetitions can trade
# characters (a line of 3,000 spaces, or a 5 MB document, must not stall a build).
_PROBLEM_WORDS = r"problem|issue|symptoms?|root cause|cause|what happened|what went wrong|impact"
_FIX_WORDS = (r"fix(?:es)?|solution|mitigation|resolution|remedy|prevention|how (?:i|we) fixed it|workaround|"
              r"what (?:i|we) (?:did|changed)|change|action taken")
# "**Fix:** ...", "- Fix: ...", "Solution — ...", matched against the line with its indentation removed
_LABEL = r"(?:[-*+][ \t]+)?(?:\*\*|__)?[ \t]*(?:the[ \t]+)?(?:{words})[ \t]*(?:(?:\*\*|__)[ \t]*)?[:\-–—][ \t]*(?:\*\*|__)?"
_PROBLEM = re.compile(_LABEL.format(words=_PROBLEM_WORDS), re.IGNORECASE)
_FIX = re.compile(_LABEL.format(words=_FIX_WORDS), re.IGNORECASE)
# "### Problem", "#### The fix" as sub-headings
_PROBLEM_HEAD = re.compile(rf"^(?:the\s+)?(?:{_PROBLEM_WORDS})\b", re.IGNORECASE)
_FIX_HEAD = re.compile(rf"^(?:the\s+)?(?:{_FIX_WORDS})\b", re.IGNORECASE)
# A sentence that says the fix is not done, or stands in for one.
_NOT_DONE = re.compile(
    r"\bnot (?:yet |been |really )?(?:fixed|done|solved|resolved|implemented|addressed|handled|started|mitigated)\b"
    r"|\b(?:haven't|have not|hasn't|has not|didn't|did not|won't|will not) (?:yet )?(?:\w+ )?(?:fix|solv|resolv|"
    r"implement|address|handl|chang|add|do)\w*|\bno fix\b|\bunfixed\b|\bunresolved\b|\bstill (?:investigating|"
    r"open|looking|to do|pending|broken)|\bnothing (?:changed|done|yet)|\bTODO\b|\bTBD\b|\bFIXME\b|\bWIP\b"
    r"|\bn/a\b|^\s*(?:none|nothing|unknown|-|—|\?+)\s*[.!]?\s*$|\blorem\b|\bblah\b|\bto be (?:done|decided|"
    r"determined|written|added)\b|\bcoming soon\b|\bwork in progress\b|\b(?:we |i )?(?:plan|intend|hope|want|"
    r"need) to\b|\bwe (?:could|should|might|may)\b|\bin the future\b|\blater\b", re.IGNORECASE)
# "no timeout", "without a TTL": the mitigation named as what was missing, not as what was done.
_ABSENT = re.compile(r"\b(?:no|without|lack of|lacking|missing|never set|not set|forgot)\b(?:\W+\w+){0,3}\W*\Z",
                     re.IGNORECASE)
# Label-less prose counts as a fix only where a sentence says something was done.
_DONE = re.compile(r"\b(?:we|i|now|then|have|has|now)\b|\b(?:set|added|add|use[sd]?|using|switched|introduced|"
                   r"enabled|configured|implemented|put|moved|changed|replaced|wrapped|applied|capped|limited|"
                   r"shortened|lowered|raised|sized|built|wrote|publish(?:es|ed)?|delete[sd]?|keep|keeps|kept)\b",
                   re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\s+[-–—]\s+(?=[A-Z])")
Lines = list[tuple[int, str]]  # (1-based line number, text)


def _fitting(failure: Failure, sentence: str) -> bool:
    """Whether the sentence names a mitigation of this failure as something present (not as what was missing)."""
    for match in failure.fits.finditer(sentence):
        if not _ABSENT.search(sentence[max(0, match.start() - 60):match.start()]):
            return True
    return False


def _sentences(lines: Lines) -> list[tuple[int, str]]:
    out = []
    for no, text in lines:
        out.extend((no, part) for part in _SENTENCE.split(text) if part.strip())
    return out


def _judge_fix(failure: Failure, lines: Lines, prose: bool) -> tuple[str, int | None]:
    """The state a fix text reaches, and the line relied on.

    ``prose``: label-less text, where a sentence must also say something was done."""
    text = "\n".join(t for _, t in lines)
    if not real_words(text):
        return (PLACEHOLDER if find_placeholders(text) else NO_FIX), None
    negated_fit = None
    any_negated = None
    for no, sentence in _sentences(lines):
        negated = bool(_NOT_DONE.search(sentence)) or bool(find_placeholders(sentence))
        if negated and any_negated is None:
            any_negated = no
        if not _fitting(failure, sentence):
            continue
        if negated:
            negated_fit = negated_fit or no
        elif not prose or _DONE.search(sentence):
            return DOCUMENTED, no
    if prose:
        return NO_FIX, None
    if negated_fit is not None or any_negated is not None:
        return NOT_FIXED, negated_fit or any_negated
    if len(real_words(text)) < MIN_WORDS:
        return NO_FIX, None
    return UNFIT, lines[0][0] if lines else None


def judge_lines(failure: Failure, body: Lines, named_by_heading: bool = True) -> tuple[str, int | None]:
    """The state one place about a failure reaches (a section's body, a table row, a list item), and
    the line the verdict relied on."""
    problem: Lines = []
    fix: Lines = []
    plain: Lines = []
    current = plain
    for no, line in body:
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
        current.append((no, line))
    everything = problem + fix + plain
    text = "\n".join(t for _, t in everything)
    placeholders = bool(find_placeholders(text))
    if not real_words(text):
        return (PLACEHOLDER if placeholders else FOUND), None
    has_problem = len(real_words("\n".join(t for _, t in (problem or plain)))) >= MIN_WORDS
    if fix:
        state, where = _judge_fix(failure, fix, prose=False)
    else:  # no "Fix:" label: prose that says what was done about it
        state, where = _judge_fix(failure, plain, prose=True)
        if state == NO_FIX and placeholders and not has_problem:
            state = PLACEHOLDER
    if state == PLACEHOLDER and fix and has_problem:
        return NOT_FIXED, fix[0][0]  # the problem is written up; the fix is still the template
    if state == DOCUMENTED and (has_problem or named_by_heading):
        return DOCUMENTED, where
    if state == DOCUMENTED:
        return NO_FIX, where
    if state == NO_FIX and not has_problem:
        return (PLACEHOLDER if placeholders else FOUND), None
    return state, where


def judge_section(body: str, failure: Failure | None = None) -> str:
    """The state one section's text reaches (for the first failure unless one is named)."""
    lines = list(enumerate(body.splitlines(), 1))
    return judge_lines(failure or FAILURES[0], lines)[0]


@dataclass(frozen=True)
class Finding:
    state: str
    where: str = ""  # "FAILURES.md, line 12"


# Bounds that keep a hostile document linear: no real section is this long, nor this repeated.
MAX_SECTION_CHARS = 256 * 1024
MAX_SECTIONS_JUDGED = 1000  # per failure
MAX_BODY_LINES = 2000
# One scan of the lowered text finds every mention of every failure (faster than a case-blind scan).
_ANY_FAILURE = re.compile("|".join(p.lower() for f in FAILURES for p in f.patterns))
_INNER_SPACE = re.compile(r"(?<=\S)[ \t]{2,}")
_LEAD_SPACE = re.compile(r"^[ \t]{5,}", re.MULTILINE)
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


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


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table_rows(lines: list[str], lineno: int) -> tuple[Lines, Lines] | None:
    """A table row (1-based ``lineno``) split into (problem cells, fix cells) by its table's header."""
    i = lineno - 1
    if "|" not in lines[i] or _TABLE_SEP.match(lines[i]):
        return None
    top = i
    while top > 0 and "|" in lines[top - 1] and lines[top - 1].strip():
        top -= 1
        if i - top > 5000:
            return None
    if top + 1 >= len(lines) or not _TABLE_SEP.match(lines[top + 1]) or top == i:
        return None
    header = [h.strip("*_ ").lower() for h in _cells(lines[top])]
    fix_cols = [k for k, h in enumerate(header) if _FIX_HEAD.match(h) or "how" in h or "mitigat" in h]
    if not fix_cols:
        return None
    cells = _cells(lines[i])
    fix = [(lineno, cells[k]) for k in fix_cols if k < len(cells)]
    problem = [(lineno, c) for k, c in enumerate(cells) if k not in fix_cols]
    return problem, fix


def _item(lines: list[str], lineno: int, failure: Failure) -> Lines | None:
    """A list item or one-line paragraph that names the failure and goes on to say what was done
    ("- **Stale data**: event-based invalidation, TTLs as a safety net"): its text after the name."""
    line = lines[lineno - 1]
    m = failure.regex.search(line)
    if m is None or m.start() > 80:
        return None
    rest = line[m.end():]
    sep = re.match(r"[^:–—\n]{0,40}?(?:\*\*|__)?\s*[:–—]\s*", rest)
    if sep is None:
        return None
    body = [(lineno, rest[sep.end():])]
    # The item's continuation lines, indented or not, up to a blank line or the next item.
    k = lineno
    while k < len(lines) and k - lineno < 50 and lines[k].strip() and not _ITEM.match(lines[k]) \
            and not heading(lines[k]):
        body.append((k + 1, lines[k]))
        k += 1
    return body


def assess(text: str, name: str) -> dict[str, Finding]:
    """Each failure's best state in one document: from the sections its headings name (ATX or setext),
    the rows of a table with a fix column, and list items that name it and say what was done."""
    text = _squeeze(text)
    mentions = _mentions(text)
    lines_named = {line for lines in mentions.values() for line in lines}
    all_sections = sections(text)
    named = [sec for sec in all_sections if sec.line in lines_named]
    lines = text.splitlines()
    found = {}
    for failure in FAILURES:
        best = Finding(MISSING)
        judged = 0
        candidates: list[tuple[Lines, bool, int]] = []
        for sec in named:
            if failure.regex.search(sec.heading):
                body = sec.numbered()[:MAX_BODY_LINES]
                size = 0
                for k, (_, t) in enumerate(body):
                    size += len(t)
                    if size > MAX_SECTION_CHARS:
                        body = body[:k]
                        break
                candidates.append((body, True, sec.line))
        for lineno in mentions[failure.id][:MAX_SECTIONS_JUDGED]:
            row = _table_rows(lines, lineno)
            if row is not None:
                problem, fix = row
                label = [(n, f"Fix: {t}") for n, t in fix]
                candidates.append((problem + label, bool(failure.regex.search(" ".join(t for _, t in problem))),
                                   lineno))
                continue
            item = _item(lines, lineno, failure)
            if item is not None:  # "Name: what was done": the text after the name reads as the fix
                candidates.append(([(n, f"Fix: {t}") for n, t in item], True, lineno))
        for body, by_heading, line in candidates:
            if best.state == DOCUMENTED or judged >= MAX_SECTIONS_JUDGED:
                break
            judged += 1
            state, where = judge_lines(failure, body, by_heading)
            if _RANK[state] > _RANK[best.state] or (state != best.state and _RANK[state] == _RANK[best.state]
                                                    and state in (NOT_FIXED, UNFIT)):
                best = Finding(state, f"{name}, line {where or line}")
        if best.state == MISSING and mentions[failure.id]:
            best = Finding(FOUND, f"{name}, line {mentions[failure.id][0]}")
        found[failure.id] = best
    return found


NAMES = {f.id: f.name for f in FAILURES}
SHAPES = {"python_hash": "Python-hash()-shaped", "decimal": "decimal ids", "sequential": "sequential hex ids",
          "other": "other"}


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
