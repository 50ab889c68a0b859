"""Model prices: the genai-prices library, and the learner's ``prices.json`` for what it does not know.

``prices.json`` (optional, in the data folder)::

    {
      "models": {"my-finetune": {"input_usd_per_mtok": 0.30, "output_usd_per_mtok": 1.20,
                                 "cached_input_usd_per_mtok": 0.15}},
      "retrieval_usd_per_query": 0.0001,
      "redis_usd_per_month": 30,
      "route_simple_to": "gpt-4.1-mini",
      "static_prompt_share": 0.5
    }

The last two steer the M2.2 forecast (``forecast.py``): the model its routing sends simple calls to
(by default a cheaper current model of the same provider) and the share of each prompt that is a
fixed template a provider's prompt cache could serve.

A model named there wins over the library. A model neither knows is never
priced at zero: the caller is told its name. Library prices are looked up at the
request's date (prices change; the library knows when), and input tokens read
from the provider's prompt cache (``cached_input_tokens``) at its cached-input rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from .errors import InputError
from .files import load_json

PRICE_FILE = "prices.json"
# Tried in turn when a model name alone does not identify its provider (embedding models, mostly).
_PROVIDERS = (None, "openai", "anthropic", "google", "mistral", "cohere", "voyage", "aws")
_PROBE_TOKENS = 1000  # base-tier rates: tiered prices start far above one request's size


@dataclass(frozen=True)
class Rate:
    input_per_token: float
    output_per_token: float
    source: str  # "genai-prices x.y.z" or "prices.json"
    cached_input_per_token: float | None = None  # None: the model has no cheaper rate for cached input

    def price(self, tin: int, tout: int, cached: int = 0) -> float:
        cached_rate = self.input_per_token if self.cached_input_per_token is None else self.cached_input_per_token
        return (tin - cached) * self.input_per_token + cached * cached_rate + tout * self.output_per_token


@dataclass
class PriceBook:
    own: dict[str, Rate] = field(default_factory=dict)
    retrieval_usd_per_query: float = 0.0
    redis_usd_per_month: float = 0.0
    file: str | None = None
    route_simple_to: str | None = None  # the forecast's routing target, when the learner names one
    static_prompt_share: float | None = None  # the forecast's prompt-caching share, when the learner gives one
    _cache: dict[tuple[str, int], Rate | None] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path, describe) -> "PriceBook":
        path = folder / PRICE_FILE
        if not path.exists():
            return cls()
        data = load_json(path, _SCHEMA)
        own = {name: Rate(v["input_usd_per_mtok"] / 1e6, v.get("output_usd_per_mtok", 0.0) / 1e6, PRICE_FILE,
                          v["cached_input_usd_per_mtok"] / 1e6 if "cached_input_usd_per_mtok" in v else None)
               for name, v in data.get("models", {}).items()}
        share = data.get("static_prompt_share")
        return cls(own, float(data.get("retrieval_usd_per_query", 0.0)),
                   float(data.get("redis_usd_per_month", 0.0)), describe(path),
                   data.get("route_simple_to"), None if share is None else float(share))

    def sources(self) -> list[str]:
        """Where the rates used so far came from."""
        used = [r for r in self._cache.values() if r is not None] + list(self.own.values())
        return sorted({r.source for r in used})

    def rate(self, model: str, ts: float | None = None) -> Rate | None:
        """The model's rates on the day of ``ts`` (Unix seconds, UTC; today when ``None``)."""
        own = self.own.get(model)
        if own is not None:
            return own
        key = (model, int(ts // 86400) if ts is not None else -1)
        try:
            return self._cache[key]
        except KeyError:
            rate = self._cache[key] = _library_rate(model, key[1])
            return rate


def _lookups(model: str) -> tuple[str, tuple]:
    """The library's model reference and the providers to try: the one named ("openai/text-embedding-3-small"),
    or each of ``_PROVIDERS`` in turn."""
    if "/" in model:
        hint, ref = model.split("/", 1)
        return ref, (hint,)
    return model, _PROVIDERS


def _library_rate(model: str, day: int = -1) -> Rate | None:
    """The library's rates for ``model`` on day ``day`` (days since 1970-01-01, UTC; -1: today)."""
    from genai_prices import Usage, __version__, calc_price

    when = None if day < 0 else datetime.fromtimestamp(day * 86400 + 43200, tz=timezone.utc)
    ref, providers = _lookups(model)
    for provider in providers:
        try:
            inp = calc_price(Usage(input_tokens=_PROBE_TOKENS), model_ref=ref, provider_id=provider,
                             genai_request_timestamp=when)
            out = calc_price(Usage(output_tokens=_PROBE_TOKENS), model_ref=ref, provider_id=provider,
                             genai_request_timestamp=when)
            cached = calc_price(Usage(input_tokens=_PROBE_TOKENS, cache_read_tokens=_PROBE_TOKENS), model_ref=ref,
                                provider_id=provider, genai_request_timestamp=when)
        except LookupError:
            continue
        per = Decimal(_PROBE_TOKENS)
        cached_rate = float(cached.total_price / per)
        input_rate = float(inp.total_price / per)
        return Rate(input_rate, float(out.total_price / per), f"genai-prices {__version__}",
                    cached_rate if cached_rate < input_rate else None)
    return None


_SCHEMA = {
    "type": "object",
    "properties": {
        "models": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["input_usd_per_mtok"],
            "properties": {"input_usd_per_mtok": {"type": "number", "minimum": 0},
                           "output_usd_per_mtok": {"type": "number", "minimum": 0},
                           "cached_input_usd_per_mtok": {"type": "number", "minimum": 0}}}},
        "retrieval_usd_per_query": {"type": "number", "minimum": 0},
        "redis_usd_per_month": {"type": "number", "minimum": 0},
        "route_simple_to": {"type": "string", "minLength": 1, "maxLength": 200},
        "static_prompt_share": {"type": "number", "minimum": 0, "maximum": 1},
    },
}


def unknown_model_error(unknown: dict[str, int], describe_folder: str) -> InputError:
    names = ", ".join(f"{m} ({n:,} requests)" for m, n in sorted(unknown.items(), key=lambda kv: -kv[1]))
    return InputError(f"No price known for {names}",
                      f"Add each to prices.json in {describe_folder} as "
                      '{"models": {"NAME": {"input_usd_per_mtok": ..., "output_usd_per_mtok": ...}}}, '
                      "or record cost_usd on those requests.")


# Models a provider has shut down in its API, which the library still prices (for old logs) without
# marking them: a forecast never routes to one. Source: OpenAI's API deprecations page.
RETIRED = {
    "gpt-3.5-turbo": "2026-10-23", "gpt-4": "2026-10-23",  # announced 2026-04-22; gpt-4.1-mini named instead
    "gpt-4.5-preview": "2025-07-14", "o1-preview": "2025-07-28", "o1-mini": "2025-10-27",
}


def retired(model: str) -> str | None:
    """The shutdown date of ``model`` (or of the family it is a dated or sized variant of), if retired."""
    name = model.split("/", 1)[-1].lower()
    for family, day in RETIRED.items():
        if name == family or name.startswith(family + "-"):
            return day
    return None


def library_model(model: str):
    """``(provider id, the library's ModelInfo)`` for a model name, or ``None`` when it does not know it."""
    from genai_prices.data_snapshot import get_snapshot

    snapshot = get_snapshot()
    ref, providers = _lookups(model)
    for provider in providers:
        try:
            found, info = snapshot.find_provider_model(ref, None, provider, None)
        except LookupError:
            continue
        return found.id, info
    return None


def library_version() -> str:
    from genai_prices import __version__

    return __version__


def library_data_date(today: date | None = None) -> str | None:
    """The newest price change in the library's data that has already taken effect: how current its
    prices are (the wheel itself carries no date)."""
    from genai_prices.data_snapshot import get_snapshot

    today = today or datetime.now(timezone.utc).date()
    newest = None
    for provider in get_snapshot().providers:
        for model in provider.models:
            for conditional in model.prices if isinstance(model.prices, list) else ():
                start = getattr(conditional.constraint, "start_date", None)
                if start is not None and start <= today and (newest is None or start > newest):
                    newest = start
    return newest.isoformat() if newest else None
