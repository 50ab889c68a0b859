"""A Redis password reaches no output, in any URL form redis-py accepts or nearly accepts.

One table of URL forms, each walked through every output: the terminal (plain and ``-v``),
``--json``, every file of the built site (the search index included), and the log of
``mkdocs serve``. Every spelling of the password is looked for: as written, percent-encoded,
percent-decoded, and each piece of it between separators.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from conftest import ROOT, build_site, clean_env, fetch, free_port, serve_site, stop, wait_for

pytestmark = pytest.mark.slow
SECRET = "Hunter2Secret"
PORT = free_port()  # nothing listens there: Redis is "not reachable", and the masked URL is shown

# (name, URL, usable by redis-py, password as written)
FORMS = [
    ("userinfo", f"redis://:{SECRET}@127.0.0.1:{PORT}/0", True, SECRET),
    ("user and password", f"redis://bridge:{SECRET}@127.0.0.1:{PORT}/0", True, SECRET),
    ("password alone as user", f"redis://{SECRET}@127.0.0.1:{PORT}/0", True, SECRET),
    ("query password", f"redis://127.0.0.1:{PORT}/0?password={SECRET}", True, SECRET),
    ("query password, more after", f"redis://127.0.0.1:{PORT}/0?password={SECRET}&socket_timeout=1", True, SECRET),
    ("percent-encoded", f"redis://:{quote('p@ss:/' + SECRET, safe='')}@127.0.0.1:{PORT}/0", True,
     "p@ss:/" + SECRET),
    ("typo: no colon", f"redis//:{SECRET}@127.0.0.1:{PORT}/0", False, SECRET),
    ("typo: one slash", f"redis:/:{SECRET}@127.0.0.1", False, SECRET),
    ("unencoded slash", f"redis://:Sup3r/{SECRET}@127.0.0.1:{PORT}/0", False, f"Sup3r/{SECRET}"),
    ("unencoded question mark", f"redis://:Sup3r?{SECRET}@127.0.0.1:{PORT}/0", False, f"Sup3r?{SECRET}"),
    ("unencoded hash", f"redis://:Sup3r#{SECRET}@127.0.0.1:{PORT}/0", False, f"Sup3r#{SECRET}"),
    ("unencoded at and colon", f"redis://:Su@p3r:{SECRET}@127.0.0.1:{PORT}/0", True, f"Su@p3r:{SECRET}"),
]
IDS = [f[0] for f in FORMS]


def spellings(password: str) -> set[str]:
    forms = {password, unquote(password), quote(password, safe=""), quote(password), SECRET}
    for sep in "/?#@:":
        forms |= {piece for form in list(forms) for piece in form.split(sep) if len(piece) >= 4}
    return forms


def assert_clean(text: str, password: str, where: str) -> None:
    for spelling in spellings(password):
        assert spelling not in text, f"{spelling!r} shown in {where}"


def env_for(url: str) -> dict:
    env = clean_env()
    env.update({"REDIS_URL": url, "NO_MKDOCS_2_WARNING": "1", "BRIDGE_POLL_SECONDS": "0"})
    return env


@pytest.mark.parametrize("name,url,usable,password", FORMS, ids=IDS)
def test_the_cli_never_shows_the_password(name, url, usable, password):
    for args in ([], ["-v"], ["--json"], ["--redis", url, "-v"]):
        out = subprocess.run([sys.executable, "-m", "checks", *args], capture_output=True, text=True, cwd=ROOT,
                             env=env_for(url), timeout=60, encoding="utf-8")
        assert_clean(out.stdout + out.stderr, password, f"python -m checks {' '.join(args)}")
        if args:  # -v and --json name the source
            assert "***" in out.stdout + out.stderr, "the URL was shown nowhere, masked or not"
        if usable:
            assert out.returncode in (0, 1), out.stderr
        else:  # a malformed URL is a usage error that shows the URL masked
            assert out.returncode == 2 and "error: Redis URL" in out.stderr and "***" in out.stderr
            assert "bug in the checks package" not in out.stderr


@pytest.mark.site
@pytest.mark.parametrize("name,url,usable,password", FORMS, ids=IDS)
def test_the_built_site_and_its_search_index_never_show_the_password(tmp_path, name, url, usable, password):
    site = tmp_path / "site"
    out = build_site(site, {"REDIS_URL": url})
    assert out.returncode == 0, out.stderr
    assert_clean(out.stdout + out.stderr, password, "the build log")
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*")
             if p.is_file() and p.suffix in {".html", ".json", ".xml", ".js"}}
    assert (site / "search" / "search_index.json") in texts
    for path, text in texts.items():
        assert_clean(text, password, str(path.relative_to(site)))
    hit_page = (site / "checks" / "hit-rate" / "index.html").read_text(encoding="utf-8")
    assert "***" in hit_page


@pytest.mark.site
@pytest.mark.parametrize("name,url,usable,password", FORMS, ids=IDS)
def test_the_serve_log_never_shows_the_password(tmp_path, name, url, usable, password):
    port = free_port()
    log = tmp_path / "serve.log"
    env = env_for(url)
    env["BRIDGE_POLL_SECONDS"] = "1"
    with open(log, "wb") as fh:
        proc = serve_site(port, env, fh)
        try:
            page = wait_for(lambda: fetch(f"http://127.0.0.1:{port}/checks/hit-rate/"), 120)
            assert page is not None and "***" in page
            assert_clean(page, password, "the served page")
        finally:
            stop(proc)
    text = Path(log).read_text(encoding="utf-8", errors="replace")
    assert "Serving on" in text or "Building documentation" in text, text[-2000:]
    assert_clean(text, password, "the serve log")
