"""The routing target of the M2.2 forecast and the price library's facts it needs, worked out while a
log is analysed (``prepare``), so that they are cached with the analysis and shipped with the sample's.

Simple calls go by default to the first model of their provider's current small tier (``ROUTE_TIERS``)
that the price library prices, that is not retired (``prices.RETIRED``) nor marked deprecated, and that is
cheaper than the learner's main model (the one with the most LLM spend) on that model's own calls;
``route_simple_to`` in ``prices.json`` names another. The forecast itself (``forecast.py``) is computed
at report time and is not part of the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InputError
from .prices import Rate, library_data_date, library_model, library_version, retired
from .querylog import BY_LAYER
from .traffic import Traffic

# Where routing sends simple calls by default: each provider's current small tier in the library's data,
# first the one OpenAI itself named as GPT-3.5 and GPT-4's substitute. The first of these that is
# priced, not retired and cheaper than the learner's main model for its own token mix is chosen.
ROUTE_TIERS = {
    "openai": ("gpt-4.1-mini", "gpt-5-mini", "gpt-4.1-nano", "gpt-5-nano"),
    "anthropic": ("claude-haiku-4-5",),
    "google": ("gemini-2.5-flash", "gemini-2.5-flash-lite"),
    "mistral": ("mistral-small-latest", "ministral-8b-latest"),
}


@dataclass
class Call:
    """One group of alike LLM calls, priced."""

    model: str
    day: int
    simple: bool
    n: int
    tin: int
    cached: int
    tout: int
    rate: Rate

    @property
    def input_cost(self) -> float:
        return self.rate.price(self.tin, 0, self.cached)

    @property
    def output_cost(self) -> float:
        return self.rate.price(0, self.tout)


def calls_of(t: Traffic) -> tuple[list[Call], int]:
    """The priced LLM-call groups, and how many LLM calls had no tokens to price."""
    calls, unpriced = [], 0
    for (layer, model, _emb, day, _no_cost, simple), (n, tin, cached, tout, _temb, _cost) in t.groups.items():
        if not BY_LAYER[layer].pays_llm:
            continue
        rate = t.prices.rate(model, day * 86400.0) if model is not None else None
        if rate is None:  # no tokens (an unknown model stops at require_prices first)
            unpriced += n
            continue
        calls.append(Call(model, day, simple, n, tin, cached, tout, rate))
    return calls, unpriced


def target(t: Traffic, calls: list[Call]) -> tuple[str | None, str]:
    """The routing target and how it was chosen."""
    named = t.prices.route_simple_to
    if named:
        day = retired(named)
        if day:
            raise InputError(f"route_simple_to in prices.json names {named}, which its provider shut down on {day}",
                             "Name a current model, or remove route_simple_to to let the forecast choose one.")
        if t.prices.rate(named) is None:
            raise InputError(f"route_simple_to in prices.json names {named}, which has no known price",
                             "Add it under models in prices.json, or name a model the price library knows.")
        return named, "named in prices.json (route_simple_to)"
    spend: dict[str, float] = {}
    for c in calls:
        spend[c.model] = spend.get(c.model, 0.0) + c.input_cost + c.output_cost
    if not spend:
        return None, "no priced LLM calls"
    main = max(spend, key=spend.__getitem__)
    found = library_model(main)
    if found is None:
        return None, f"{main} is not in the price library, so its provider's models are unknown: name one " \
                     "as route_simple_to in prices.json"
    provider = found[0]
    mine = [c for c in calls if c.model == main]
    focus = [c for c in mine if c.simple] or mine
    for candidate in ROUTE_TIERS.get(provider, ()):
        info = library_model(candidate)
        if candidate == main or retired(candidate) or info is None or info[1].deprecated:
            continue
        if t.prices.rate(candidate) is None:
            continue
        cost_there = sum(sum(priced_at(t, c, candidate)) for c in focus)
        cost_here = sum(c.input_cost + c.output_cost for c in focus)
        if cost_there < cost_here:
            return candidate, f"the first current, cheaper model of {provider}'s small tier " \
                              f"({', '.join(ROUTE_TIERS[provider])}) for your main model, {main}"
    return None, f"no current model of {provider}'s small tier is cheaper than {main} for your calls"


def priced_at(t: Traffic, c: Call, model: str) -> tuple[float, float]:
    """(input, output) cost of a call group at another model: its rate on the group's day, else today's."""
    rate = t.prices.rate(model, c.day * 86400.0) or t.prices.rate(model)
    return rate.price(c.tin, 0, c.cached), rate.price(0, c.tout)


def prepare(t: Traffic) -> None:
    """The price library's part of the forecast (the routing target, the rates it needs, the data's date),
    worked out while the log is analysed: the analysis is cached, and the shipped sample's ships as data,
    so a later run, and every sample run, forecasts without importing the library."""
    facts: dict[str, Any] = {"version": library_version(), "data_date": library_data_date()}
    if not t.unknown_models and t.price_error is None:
        try:
            calls, _ = calls_of(t)
            to_model, chosen = target(t, calls)
            if to_model is not None:
                for c in calls:
                    if c.simple:
                        priced_at(t, c, to_model)  # fills the price book's memo of rates
            facts["target"] = (to_model, chosen)
        except InputError as exc:
            facts["error"] = (exc.message, exc.hint)
    t.forecast_facts = facts
