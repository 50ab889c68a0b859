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
_PUNCT = re.compile(r"[^\w\s]")


# One byte table does an ASCII query's whole normalisation but the spacing: what [^\w\s] matches
# (punctuation and control characters; "_" is a word character) and every whitespace character
# (str.split splits on \x1c-\x1f too, bytes.split does not) become a space, A-Z become a-z.
_ASCII_TABLE = bytes(
    32 if re.match(r"[^\w\s]", chr(b)) or chr(b).isspace() else ord(chr(b).lower()) if b < 128 else b
    for b in range(256))


def normalise(query: str) -> str:
    """Case, Unicode forms, punctuation and spacing do not make a query new."""
    if query.isascii():  # NFKC leaves ASCII alone and casefold is lower(): the same result, faster
        return b" ".join(query.encode("ascii").translate(_ASCII_TABLE).split()).decode("ascii")
    text = unicodedata.normalize("NFKC", query).casefold()
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


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
        did = self.raw.get(query)  # a spelling seen before is not normalised again
        if did is None:
            norm = normalise(query)
            did = self.index.get(norm)
            if did is None:
                did = len(self.norms)
                self.index[norm] = did
                self.norms.append(norm)
                self.counts.append(0)
                self.examples.append(query)
                if vector is not None:
                    import numpy as np  # only logs that carry vectors pay for numpy here

                    self.vectors.append(np.asarray(vector, dtype=np.float32))
            if len(self.raw) < 2_000_000:
                self.raw[query] = did
        self.counts[did] += 1
        self.ts.append(ts)
        self.ids.append(did)
        self.miss.append(1 if miss else 0)


@dataclass
class Replay:
    mode: str  # "vectors" (the log's), "embedding" (the shipped model's) or "text" (the 3-gram fallback)
    requests: int
    distinct: int
    exact_repeat_share: float
    answered: dict[float, float]  # threshold -> share of requests the cache would have answered
    default_threshold: float
    diversity_score: float
    buckets: dict[str, float]
    buckets_sampled: int | None  # None: exact over all queries; else the sample size
    ttl_s: float | None
    top_groups: list[tuple[str, int]]
    notes: list[str]
