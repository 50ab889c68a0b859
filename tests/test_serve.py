"""`mkdocs serve` stays live: new Redis traffic shows within seconds, with no file touched."""

from __future__ import annotations

import time

import pytest

from conftest import clean_env, drive, fetch, free_port, hit_rate_on, serve_site, stop, tree_digest, wait_for

pytestmark = pytest.mark.site


@pytest.fixture
def served(tmp_path, redis_server, scenario):
    folder = scenario("healthy")
    port = free_port()
    proc = serve_site(port, clean_env(BRIDGE_DATA=str(folder), REDIS_URL=redis_server.url, BRIDGE_POLL_SECONDS="1"))
    try:
        yield f"http://127.0.0.1:{port}/checks/hit-rate/", folder
    finally:
        stop(proc)


def test_new_traffic_shows_without_touching_a_file(served, redis_server):
    url, folder = served
    drive(redis_server, hits=70, misses=30)
    first = wait_for(lambda: hit_rate_on(fetch(url)), 60)
    assert first is not None, "the served page never showed a hit rate"
    before = tree_digest(folder)
    drive(redis_server, hits=0, misses=100)  # 70 of 200 now
    second = wait_for(lambda: (lambda r: r if r and r != first else None)(hit_rate_on(fetch(url))), 60)
    assert second == "hit rate 35.0% (70 hits of 200 lookups)", (first, second)
    assert tree_digest(folder) == before


def test_traffic_that_does_not_change_the_shown_rate_does_not_rebuild(tmp_path, redis_server, scenario):
    """Each MkDocs rebuild keeps some memory: a busy Redis must not rebuild the site every poll."""
    folder = scenario("healthy")
    port = free_port()
    temp = tmp_path / "temp"  # the server's temporary folder: MkDocs' site and the polling trigger go here
    temp.mkdir()
    env = clean_env(BRIDGE_DATA=str(folder), REDIS_URL=redis_server.url, BRIDGE_POLL_SECONDS="0.5",
                    TMPDIR=str(temp))
    log = tmp_path / "serve.log"
    drive(redis_server, hits=100, misses=100)
    url = f"http://127.0.0.1:{port}/checks/hit-rate/"
    with open(log, "wb") as fh:
        proc = serve_site(port, env, fh)
        try:
            assert wait_for(lambda: hit_rate_on(fetch(url)), 60) == "hit rate 50.0% (100 hits of 200 lookups)"
            time.sleep(1.5)
            builds = log.read_text(encoding="utf-8").count("Building documentation")
            for _ in range(6):  # the counters move on every poll; the rate shown stays 50.0%
                drive(redis_server, hits=1, misses=1)
                time.sleep(0.6)
            time.sleep(1.5)
            assert log.read_text(encoding="utf-8").count("Building documentation") == builds
            drive(redis_server, hits=0, misses=100)  # 106 of 312: 34.0%
            changed = wait_for(lambda: (lambda r: r if r and "50.0%" not in r else None)(hit_rate_on(fetch(url))), 60)
            assert changed == "hit rate 34.0% (106 hits of 312 lookups)"
            assert log.read_text(encoding="utf-8").count("Building documentation") > builds
            assert any(p.name.startswith("bridge-serve-") for p in temp.iterdir())
        finally:
            stop(proc)
    assert list(temp.iterdir()) == [], "Ctrl-C left the server's temporary folders behind"
