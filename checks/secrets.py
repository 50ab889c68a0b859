"""Redis credentials: masked from the raw URL string, before any parser sees it.

A password must reach no output in any spelling, including in URLs that redis-py rejects or
misreads: a typo in the scheme (``redis//:pw@host``), a password holding an unencoded
``/ ? # @ :``, or one passed as ``?password=``. So nothing here parses the URL first: the
userinfo is everything between the scheme and the last ``@``, and a ``password=`` query value
runs to the end of the string. ``secrets()`` lists every string that must be replaced wherever
text leaves the package: the password as written, percent-decoded and percent-encoded, what a
standard parser would have taken as the password, and each piece of it between separators, so
that even an error message quoting half of a misparsed URL shows nothing of it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

MASK = "***"
# A scheme-like start: "redis://", "redis:/", "redis//", "redis:" (typos included).
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*(?::/*|/+)")
_QUERY_PASSWORD = re.compile(r"([?&;#]\s*password\s*=)(.*)\Z", re.IGNORECASE | re.DOTALL)
_SEPARATORS = re.compile(r"[/?#@:&;=\s]+")
MIN_PIECE = 4  # shorter pieces of a password are too common to replace everywhere


def _split(url: str) -> tuple[str, str, str, str]:
    """(scheme part, userinfo or "", rest after the userinfo, query password or "")."""
    query_password = ""
    match = _QUERY_PASSWORD.search(url)
    if match:
        query_password = match.group(2)
        url = url[:match.start(2)]
    scheme = _SCHEME.match(url)
    head = scheme.group(0) if scheme else ""
    rest = url[len(head):]
    userinfo, at, after = rest.rpartition("@")
    if not at:
        return head, "", rest, query_password
    return head, userinfo, after, query_password


def mask_url(url: str) -> str:
    """The URL with every password replaced by ``***``; safe for any input, parseable or not."""
    head, userinfo, rest, query_password = _split(url)
    if userinfo or url[len(head):].startswith("@"):
        user, colon, _ = userinfo.partition(":")
        # redis://secret@host names the password alone, with no user name.
        masked_info = f"{user}:{MASK}" if colon else MASK
        rest = f"{masked_info}@{rest}"
    text = head + rest
    if query_password:
        text += MASK
    return text


def _password_parts(url: str) -> list[str]:
    _, userinfo, _, query_password = _split(url)
    found = []
    if userinfo:
        user, colon, password = userinfo.partition(":")
        found.append(password if colon else user)
    if query_password:
        found.append(query_password)
        found.append(query_password.split("&", 1)[0])
    try:  # what a standard parser takes as the password, where it parses at all
        parts = urlsplit(url)
        found.append(parts.password or "")
        if parts.username and parts.password is None:
            found.append(parts.username)
    except ValueError:
        pass
    return [p for p in found if p]


def secrets(url: str) -> tuple[str, ...]:
    """Every string from the URL that must never appear in any output, longest first."""
    out: set[str] = set()
    for password in _password_parts(url):
        for form in (password, unquote(password), quote(password, safe=""), quote(unquote(password), safe="")):
            if form:
                out.add(form)
            out.update(p for p in _SEPARATORS.split(form) if len(p) >= MIN_PIECE)
    return tuple(sorted(out, key=lambda s: (-len(s), s)))


def scrub(text: str, secret_list: tuple[str, ...]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secret_list:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
