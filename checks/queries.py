"""The queries of a log, as the replay needs them: light enough to import on every build.

The arithmetic that compares them lives in ``similarity.py`` (numpy, scipy), imported only
when a replay is actually computed.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from dataclasses import dataclass, field
from typing import Any

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")  # what the ASCII table drops: punctuation, symbols and control characters


# One byte table does an ASCII query's whole normalisation but the spacing: what [^\w\s] matches
# (punctuation and control characters; "_" is a word character) and every whitespace character
# (str.split splits on \x1c-\x1f too, bytes.split does not) become a space, A-Z become a-z.
_ASCII_TABLE = bytes(
    32 if re.match(r"[^\w\s]", chr(b)) or chr(b).isspace() else ord(chr(b).lower()) if b < 128 else b
    for b in range(256))


class _Table(dict):
    """``str.translate``'s table for any character, filled as characters are met: letters, combining marks
    (the vowel signs of Devanagari or Thai) and digits stay; a non-ASCII symbol (an emoji, ¥, ©) becomes a
    word of its own, since it is content; an invisible format character (a zero-width space, a soft hyphen,
    a joiner) goes; punctuation, separators and control characters become spaces. ASCII characters follow ``_ASCII_TABLE``'s rule, so both paths agree."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        if code < 128:
            value = chr(_ASCII_TABLE[code])
        else:
            kind = unicodedata.category(ch)
            if kind == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
                value = ""  # invisible: format characters and variation selectors ("❤️" is "❤")
            else:
                value = ch if kind[0] in "LMN" else f" {ch} " if kind[0] == "S" else " "
        self[code] = value
        return value


_TABLE = _Table()


def normalise(query: str) -> str:
    """Case, Unicode forms, punctuation and spacing do not make a query new; letters, marks, digits and
    symbols of every script do."""
    if query.isascii():  # NFKC leaves ASCII alone and casefold is lower(): the same result, faster
        return b" ".join(query.encode("ascii").translate(_ASCII_TABLE).split()).decode("ascii")
    text = unicodedata.normalize("NFKC", query).casefold().translate(_TABLE)
    # A removed invisible character may have stood between a letter and its mark: compose them again, so that
    # normalising twice gives what normalising once did.
    return " ".join(unicodedata.normalize("NFKC", text).split())


_BATCH_MIN = 64  # fewer queries than this are normalised one by one
_SEP = "\xaa"  # between queries joined for ``normalise_many``: a word character the table keeps, never ASCII


def normalise_many(queries: list[str]) -> list[str]:
    """``normalise`` of each query. ASCII queries are done all at once: joined, translated in one call, and
    their spacing settled by numpy over the joined bytes, faster than one by one for the hundreds of
    thousands of spellings a large log has (a test holds the two to the same result)."""
    if len(queries) < _BATCH_MIN:
        return [normalise(q) for q in queries]
    plain = [q for q in queries if q.isascii()]
    if len(plain) == len(queries):
        return _normalise_ascii(queries)
    done = iter(_normalise_ascii(plain)).__next__
    return [done() if q.isascii() else normalise(q) for q in queries]


def _normalise_ascii(queries: list[str]) -> list[str]:
    import numpy as np  # a log with many new spellings pays for numpy here; its replay needs it anyway

    joined = _SEP.join(queries).encode("latin-1").translate(_ASCII_TABLE)  # all whitespace is now b" "
    if not joined:
        return [""] * len(queries)
    text = np.frombuffer(joined, dtype=np.uint8)
    space = text == 32
    keep = ~space
    keep[1:] |= keep[:-1].copy()  # a space after a space goes: runs of spaces become one
    text = text[keep]
    space, sep = text == 32, text == ord(_SEP)
    edge = np.zeros_like(space)  # a space at a query's start or end goes too
    edge[0] = edge[-1] = True
    edge[1:] |= sep[:-1]
    edge[:-1] |= sep[1:]
    return text[~(space & edge)].tobytes().decode("latin-1").split(_SEP)


# M2.2's routing forecast scores an LLM call as simple with three transparent signals: a short question,
# no word that asks for reasoning, and (when the log has it) a short answer. Nothing is learned.
SIMPLE_MAX_WORDS = 12
SIMPLE_MAX_OUTPUT_TOKENS = 150
REASONING_WORDS = ("why", "how come", "compare", "comparison", "versus", "vs", "difference", "differences",
                   "explain", "analyse", "analyze", "analysis", "evaluate", "design", "tradeoff", "tradeoffs",
                   "trade off", "trade offs", "pros and cons", "step by step", "recommend", "should i", "should we")
_REASONING = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in REASONING_WORDS) + r")\b")


def simple_question(norm: str) -> bool:
    """The query half of the routing heuristic, on a normalised query (so "Trade-offs?" reads as "trade
    offs"): at most ``SIMPLE_MAX_WORDS`` words and no reasoning word."""
    return norm.count(" ") < SIMPLE_MAX_WORDS and _REASONING.search(norm) is None


RAW_LIMIT = 2_000_000  # spellings remembered (each to its id); beyond, a new spelling is normalised each time


@dataclass
class Distinct:
    """The distinct queries of a log, in order of first appearance, and the request sequence."""

    norms: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)  # the first raw spelling of each
    vectors: list[Any] = field(default_factory=list)  # numpy float32 arrays, when the log has vectors
    index: dict[str, int] = field(default_factory=dict)
    raw: dict[str, int] = field(default_factory=dict)  # each spelling seen, to its id: normalised once
    ts: array = field(default_factory=lambda: array("d"))
    ids: array = field(default_factory=lambda: array("l"))
    miss: array = field(default_factory=lambda: array("b"))  # 1: a full miss (cache_layer none)

    def add(self, ts: float, query: str, vector: list[float] | None = None, miss: bool = False) -> None:
        """One request (``add_many`` with one)."""
        self.add_many([ts], [query], [miss], None if vector is None else [vector])

    def add_many(self, ts: list[float], queries: list[str], miss: list[bool],
                 vectors: list[list[float] | None] | None = None) -> list[int]:
        """Requests in log order, as parallel lists (``vectors``: each one's vector or ``None``, or no list
        when none has one); returns each request's distinct id. A spelling seen before is not normalised
        again, and the per-request work is done a list at a time."""
        raw, index, norms = self.raw, self.index, self.norms
        # The piece's own spellings, in order of first appearance, to their ids: the per-request lookups
        # then go to this small table, not to the log-wide one.
        piece = dict.fromkeys(queries)
        get = raw.get
        for q in piece:
            piece[q] = get(q)
        new = [q for q, did in piece.items() if did is None]
        if new:
            first: dict[str, int] | None = None
            if vectors is not None:
                first = {}
                for i, q in enumerate(queries):
                    first.setdefault(q, i)
            room = RAW_LIMIT - len(raw)
            for q, norm in zip(new, normalise_many(new)):
                did = index.get(norm)
                if did is None:
                    did = index[norm] = len(norms)
                    norms.append(norm)
                    self.counts.append(0)
                    self.examples.append(q)
                    if first is not None and vectors[first[q]] is not None:
                        import numpy as np  # only logs that carry vectors pay for numpy here

                        self.vectors.append(np.asarray(vectors[first[q]], dtype=np.float32))
                piece[q] = did
                if room > 0:  # beyond, a spelling is normalised again in each piece it comes in
                    raw[q] = did
                    room -= 1
        ids = list(map(piece.__getitem__, queries))
        counts = self.counts
        for did in ids:
            counts[did] += 1
        self.ts.extend(ts)
        self.ids.extend(ids)
        self.miss.extend(miss)
        return ids


@dataclass
class Replay:
    mode: str  # "vectors" (the log's), "embedding" (the shipped model's) or "text" (the 3-gram fallback)
    requests: int
    distinct: int
    exact_repeat_share: float
    answered: dict[float, float]  # threshold -> share of requests the cache would have answered
    default_threshold: float
    diversity_score: float  # 1 - the repeat potential (the fallback: 1 - the share answered at the default)
    buckets: dict[str, float]
    buckets_sampled: int | None  # None: exact over all queries; else the sample size
    ttl_s: float | None
    top_groups: list[tuple[str, int]]
    notes: list[str]
    false_hits: dict[float, float] = field(default_factory=dict)  # threshold -> share of its answers likely wrong
    threshold: float | None = None  # the learner's own threshold, when they gave one
    repeat: Any = None  # repeat.RepeatEstimate: the repeat potential (None on the 3-gram fallback)
    similar_hits: dict[float, int] = field(default_factory=dict)  # threshold -> requests answered by similarity
