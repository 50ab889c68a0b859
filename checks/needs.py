"""What makes two queries different needs however alike they read: the values they name.

"Any update on ticket INC725976?" and "... INC625925?" score above 0.9 on any sentence embedding, and a
semantic cache that answers one with the other's answer answers the wrong ticket. ``identifiers`` reads
the values a query names: numbers in any rendering (4540700, #4540700, "no. 4540700"; $45 and 45.00 USD;
18th and 18; 60k and 60000), alphanumeric ids (SUP-30671 = sup-30671, w-2 = w2), English number words
("eight am"), emails, URLs, and members of a few closed classes (places, currencies, languages, months,
weekdays, am/pm). ``differ`` is the false-hit guard: two queries that name different values of the same
kind (two order numbers, two cities) are not the same need. A value named on one side only is not a
guard: "where is my order?" may be answered for "where is order 4540700?".

Pure Python and light: the diversity replay imports it on every build.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]]+", re.I)
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?", re.I)
_MONEY = re.compile(r"([$€£¥₹])\s?\d")
_SYMBOL_CURRENCY = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy", "₹": "inr"}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")
_NUMBER_DASH_WORD = re.compile(r"^(\d+)-([a-z]+)$")  # "4-digit", "3-day": the number is the value
READ_LIMIT = 2000  # characters of a query read for its values: a pasted blob is not a question
# a run of letters and digits, possibly joined by - . , : / (4540700, SUP-30671, 744.15, 1,200, 2024-05-20)
_TOKEN = re.compile(r"[^\W_]+(?:[-.,:/][^\W_]+)*")
_UNIT = re.compile(r"^(\d+(?:[.,:]\d+)?)(k|m|bn|rs|usd|eur|gbp|inr|gb|mb|tb|kb|kg|g|km|mi|cm|mm|ml|l|h|hr|hrs|min|mins|s|"
                   r"am|pm|x)$")
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")
_DIGIT = re.compile(r"\d")
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
_DECIMAL = re.compile(r"\d+[.,]\d+")

# English number words. "one" and "second" are left out: far more often a pronoun and a unit of time.
_UNITS = {w: i for i, w in enumerate("zero _ two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen".split()) if w != "_"}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
_SCALE = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_ORDINAL_WORDS = {"first": 1, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
                  "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fifteenth": 15, "twentieth": 20,
                  "thirtieth": 30}
_NUMBERISH = set(_UNITS) | set(_TENS) | set(_SCALE) | {"one"}

_MONTHS = {m: i + 1 for i, m in enumerate("january february march april may june july august september october "
                                          "november december".split())}
_MONTHS.update({m[:3]: v for m, v in list(_MONTHS.items())} | {"sept": 9})
_DAYS = {d: i + 1 for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
_DAYS.update({d[:3]: v for d, v in list(_DAYS.items())} | {"tues": 2, "thurs": 4})

_COUNTRIES = """afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas
bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia botswana brazil brunei bulgaria burundi
cambodia cameroon canada chile colombia comoros congo croatia cuba cyprus czechia denmark djibouti dominica ecuador
egypt eritrea estonia eswatini ethiopia fiji finland france gabon gambia germany ghana greece grenada guatemala guinea
guyana haiti honduras hungary iceland india indonesia iran iraq ireland israel italy jamaica japan kazakhstan kenya
kiribati korea kosovo kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein lithuania luxembourg
madagascar malawi malaysia maldives mali malta mauritania mauritius mexico micronesia moldova monaco mongolia
montenegro morocco mozambique myanmar namibia nauru nepal netherlands holland nicaragua niger nigeria norway oman
pakistan palau palestine panama paraguay peru philippines poland portugal qatar romania russia rwanda samoa senegal
serbia seychelles singapore slovakia slovenia somalia spain sudan suriname sweden switzerland syria taiwan tajikistan
tanzania thailand togo tonga tunisia turkmenistan tuvalu uganda ukraine uruguay uzbekistan vanuatu vatican venezuela
vietnam yemen zambia zimbabwe england scotland wales britain uk usa america uae china""".split()
_STATES = """alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii idaho illinois
indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri montana
nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia washington wisconsin
wyoming""".split()
_CITIES = """london paris berlin madrid rome tokyo beijing shanghai delhi mumbai bangalore bengaluru chennai kolkata
hyderabad pune karachi lagos cairo moscow istanbul dubai sydney melbourne toronto vancouver montreal chicago boston
seattle denver austin dallas houston miami atlanta phoenix detroit portland philadelphia orlando nashville vegas
amsterdam brussels vienna prague warsaw budapest lisbon dublin oslo stockholm copenhagen helsinki zurich geneva munich
frankfurt hamburg milan barcelona athens seoul bangkok jakarta manila hanoi osaka kyoto lima bogota santiago caracas
havana nairobi johannesburg riyadh doha tehran baghdad kabul dhaka lahore auckland brisbane perth calgary ottawa
edinburgh manchester liverpool glasgow birmingham leeds bristol""".split()
_MULTI_PLACES = """new zealand|south africa|south korea|north korea|saudi arabia|sri lanka|united states|united kingdom|
great britain|costa rica|el salvador|puerto rico|hong kong|ivory coast|czech republic|dominican republic|
united arab emirates|new hampshire|new jersey|new mexico|new york|north carolina|north dakota|rhode island|
south carolina|south dakota|west virginia|los angeles|san francisco|san diego|san jose|new delhi|mexico city|
buenos aires|rio de janeiro|sao paulo|las vegas|new orleans|salt lake city|kuala lumpur|tel aviv|cape town|
abu dhabi|washington dc|st louis""".replace("\n", "").split("|")
_CURRENCIES = """usd eur gbp jpy cny inr cad aud chf sek nok dkk pln czk huf rub brl mxn zar krw sgd hkd nzd aed sar
dollar dollars euro euros pound pounds yen yuan rmb rupee rupees francs krona krone zloty ruble rubles reais peso pesos
rand bitcoin btc ethereum eth""".split()  # not "try" (the lira's code): "I want to try"
_LANGUAGES = """english french german spanish italian portuguese dutch russian chinese mandarin cantonese japanese korean
arabic hindi bengali urdu turkish polish swedish norwegian danish finnish greek hebrew thai vietnamese indonesian malay
tagalog swahili""".split()
# spellings of one value
_SAME = {}
for _group in ("usd dollar dollars", "eur euro euros", "gbp pound pounds", "jpy yen", "cny yuan rmb", "inr rupee rupees rs",
               "rub ruble rubles", "btc bitcoin", "eth ethereum", "mxn peso pesos", "uk britain england great britain "
               "united kingdom", "usa america united states", "netherlands holland", "bangalore bengaluru"):
    _first, *_rest = _group.split()
    for _w in _rest:
        _SAME[_w] = _first
_SAME["great britain"] = _SAME["united kingdom"] = "uk"
_SAME["united states"] = "usa"
_CLASS: dict[str, str] = {}
for _cls, _words in (("place", _COUNTRIES + _STATES + _CITIES), ("currency", _CURRENCIES), ("language", _LANGUAGES)):
    for _w in _words:
        _CLASS.setdefault(_w, _cls)
for _m, _v in _MONTHS.items():
    _CLASS[_m] = "month"
    _SAME[_m] = str(_v)
for _d, _v in _DAYS.items():
    _CLASS[_d] = "day"
    _SAME[_d] = str(_v)
# members of a class that mostly mean something else in a query ("may I", "tell us", "sun", "sat down")
for _w in ("may", "mar", "sun", "sat", "wed", "us", "georgia", "turkey", "chad", "jordan", "rand"):
    _CLASS.pop(_w, None)


_PLACE_FIRST_WORDS = frozenset(p.split()[0] for p in _MULTI_PLACES)


_DATE_ONLY = {"may": "5", "mar": "3"}  # months only beside a day's number


def _beside_a_number(words: list[str], k: int) -> bool:
    def number(j: int) -> bool:
        return 0 <= j < len(words) and (words[j].isdigit() or _ORDINAL.match(words[j]) is not None)

    return number(k - 1) or number(k + 1) or (k >= 2 and words[k - 1] == "of" and number(k - 2))


def _numeric(token: str) -> list[str]:
    """The values a token holding a digit names: 4540700, 45 (for 45.00), sup30671, 60000 (for 60k)."""
    t = token.strip(".,:/-").lower()
    if not _DIGIT.search(t):
        return []
    m = _UNIT.match(t)
    if m:
        value, unit = m.groups()
        if unit in ("k", "m", "bn"):
            amount = float(value.replace(",", ".")) * {"k": 1e3, "m": 1e6, "bn": 1e9}[unit]
            return ["n:" + (str(int(amount)) if amount == int(amount) else repr(amount))]
        if unit in ("am", "pm"):
            return [*_numeric(value), "meridiem:" + unit]
        return [*_numeric(value), "unit:" + _SAME.get(unit, unit)]
    m = _TIME.match(t)
    if m:  # 10:30 and 10:30:00 are one time; 8:00 is 8
        hour, minute = int(m.group(1)), m.group(2)
        return [f"n:{hour}" if minute == "00" else f"n:{hour}:{minute}"]
    m = _NUMBER_DASH_WORD.match(t)
    if m:
        return _numeric(m.group(1))
    m = _ORDINAL.match(t)
    if m:
        t = m.group(1)
    if _THOUSANDS.fullmatch(t):
        t = t.replace(",", "")
    if _DECIMAL.fullmatch(t):
        whole, frac = re.split(r"[.,]", t)
        frac = frac.rstrip("0")
        return ["n:" + (whole.lstrip("0") or "0") + ("." + frac if frac else "")]
    if t.isdigit():
        return ["n:" + ((t.lstrip("0") or "0") if len(t) <= 4 else t)]
    # An id or a compound (a date, a version): case ignored, and a separator between letters and digits too
    # (w-2 = w2, SUP-30671 = sup30671); between two runs of digits it stays, as one kind ("1/12/2024" is not
    # "11/2/2024", "5/20" = "05-20"); a plural s after the digits goes (401ks = 401k).
    t = re.sub(r"(?<=[^\W\d_])[-./:,_](?=\d)|(?<=\d)[-./:,_](?=[^\W\d_])", "", t)
    parts = re.split(r"[-./:,]", t)
    if len(parts) > 1 and all(x.isdigit() for x in parts):
        return ["n:" + "/".join(x.lstrip("0") or "0" for x in parts)]
    t = re.sub(r"(?<=\d)[-./:,](?=\d)", "/", t)  # v1.2.3 is not v12.3
    t = re.sub(r"[^\w/]|_", "", t)
    singular = re.sub(r"(\d[a-z]+)s$", r"\1", t)
    return _numeric(singular) if singular != t else ["n:" + t]


def _number_words(words: list[str]) -> list[str]:
    """English number words to values: "twenty one" 21, "one hundred twenty" 120, "eight" 8, "third" 3. A lone
    "one" is not read ("how do I get one")."""
    out: list[str] = []
    value, seen = 0, False
    ahead = [*words[1:], ""]
    for w, after in zip([*words, ""], [*ahead, ""]):
        if w in _UNITS:
            value, seen = value + _UNITS[w], True
        elif w in _TENS:
            value, seen = value + _TENS[w], True
        elif w == "one" and (seen or after in _SCALE):
            value, seen = value + 1, True
        elif w in _SCALE and seen:
            value *= _SCALE[w]
        else:
            if seen:
                out.append(str(value))
            value, seen = 0, False
            if w in _ORDINAL_WORDS:
                out.append(str(_ORDINAL_WORDS[w]))
    return out


class _Digits(dict):
    """``str.translate``'s table from any script's decimal digits (٣, ३, ３) to ASCII ones."""

    def __missing__(self, code: int) -> int | None:
        value = unicodedata.decimal(chr(code), None)
        self[code] = code if value is None else ord(str(value))
        return self[code]


_DIGITS = _Digits()


@lru_cache(maxsize=200_000)
def identifiers(raw: str, norm: str) -> frozenset[str]:
    """The values ``raw`` names, each as ``kind:value`` (``norm`` is its normalised text)."""
    out: set[str] = set()
    text = unicodedata.normalize("NFKC", raw[:READ_LIMIT])
    if not text.isascii():
        text = text.translate(_DIGITS)
    norm = norm[:READ_LIMIT]
    if "www." in text or "://" in text:
        for m in _URL.findall(text):
            out.add("url:" + _SCHEME.sub("", m.lower()).rstrip("/.,;:!?"))
        text = _URL.sub(" ", text)
    if "@" in text:
        for m in _EMAIL.findall(text):
            out.add("email:" + m.lower())
        text = _EMAIL.sub(" ", text)
    if _DIGIT.search(text):
        for m in _TOKEN.findall(text):
            if _DIGIT.search(m):
                out.update(_numeric(m))
        for symbol in _MONEY.findall(text):
            out.add("currency:" + _SYMBOL_CURRENCY[symbol])
    words = norm.split()
    if not _NUMBERISH.isdisjoint(words) or not _ORDINAL_WORDS.keys().isdisjoint(words):
        out.update("n:" + v for v in _number_words(words))
    joined = f" {norm} "
    if not _PLACE_FIRST_WORDS.isdisjoint(words):
        for place in _MULTI_PLACES:
            if f" {place} " in joined:
                out.add("place:" + _SAME.get(place, place))
                joined = joined.replace(f" {place} ", " ")
        words = joined.split()
    for k, w in enumerate(words):
        kind = _CLASS.get(w)
        if kind:
            out.add(f"{kind}:{_SAME.get(w, w)}")
        elif w in _DATE_ONLY and _beside_a_number(words, k):
            out.add(f"month:{_SAME[w]}")  # "May 28", "the 28th of May", not "may I"
        elif w in ("am", "pm") and k and (words[k - 1].isdigit() or words[k - 1] in _NUMBERISH):
            out.add("meridiem:" + w)  # "eight am", not "what am I"
        elif w == "m" and k > 1 and words[k - 1] in ("a", "p") and (words[k - 2].isdigit() or words[k - 2] in _NUMBERISH):
            out.add(f"meridiem:{words[k - 1]}m")  # "8 a.m."
    return frozenset(out)


def differ(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two queries name different values of one kind (two order numbers, two cities, two dates):
    then they are different needs, however alike they read."""
    if a == b:
        return False
    only_a, only_b = a - b, b - a
    if not only_a or not only_b:
        return False
    kinds = {x.split(":", 1)[0] for x in only_a}
    return any(x.split(":", 1)[0] in kinds for x in only_b)
