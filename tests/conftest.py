"""Shared fixtures: real redis-server processes on free loopback ports, scenario folders, runners.

Tests that need a service skip locally with a reason when it is missing; with
BRIDGE_REQUIRE_SERVICES=1 (set by .ci/run) every skip becomes a failure.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
import redis

from checks import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
REQUIRE = os.environ.get("BRIDGE_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}
# The caches of this test session: not the user's, and empty at the start. XDG_CACHE_HOME also
# covers a Config built directly in a test (it reads no environment; its default is the user's
# cache folder, which platformdirs puts under XDG_CACHE_HOME).
# Both are removed when the session ends, so that test runs do not pile up in the temporary folder.
os.environ["BRIDGE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bridge-cache-")
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="bridge-xdg-cache-")
atexit.register(shutil.rmtree, os.environ["BRIDGE_CACHE_DIR"], ignore_errors=True)
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but BRIDGE_REQUIRE_SERVICES forbids skips: {reason}"


def need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed (apt-get install redis-server)")
    return path


def free_port(also_plus: int = 0) -> int:
    """A free loopback port (and port + also_plus free too, for a cluster bus)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + also_plus > 65535:
            continue
        if also_plus:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + also_plus))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port")


class RedisServer:
    def __init__(self, workdir: Path, *args: str, cluster: bool = False) -> None:
        self.port = free_port(10000 if cluster else 0)
        self.workdir = workdir / f"redis-{self.port}"
        self.workdir.mkdir(parents=True)
        cmd = [need("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(self.workdir), "--protected-mode", "no", *args]
        if cluster:
            cmd += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "2000"]
        self.cmd = cmd
        self.password = next((args[i + 1] for i, a in enumerate(args) if a == "--requirepass"), None)
        self._launch()

    def _launch(self) -> None:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with self.client() as c:
                    c.ping()
                break
            except redis.AuthenticationError:
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server on port {self.port} did not start")
                time.sleep(0.05)

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def client(self, **kw) -> redis.Redis:
        kw.setdefault("password", self.password)
        kw.setdefault("protocol", 2)  # RESP2: also servers without HELLO (Redis < 6, or HELLO renamed away)
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5, **kw)

    def restart(self) -> None:
        """Stop and start again on the same port: the counters start from zero."""
        self.stop()
        self._launch()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def redis_factory(tmp_path):
    servers: list[RedisServer] = []

    def start(*args: str, cluster: bool = False) -> RedisServer:
        server = RedisServer(tmp_path, *args, cluster=cluster)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def redis_server(redis_factory) -> RedisServer:
    return redis_factory()


def drive(server: RedisServer, hits: int, misses: int) -> None:
    """Make exactly ``hits`` keyspace hits and ``misses`` misses."""
    with server.client() as c:
        c.set("bridge:test:present", "x")
        for _ in range(hits):
            assert c.get("bridge:test:present") == b"x"
        for i in range(misses):
            assert c.get(f"bridge:test:absent:{i}") is None


@pytest.fixture
def scenario(tmp_path):
    """A copy of a scenario folder from tests/scenarios, safe to modify."""

    def copy(name: str) -> Path:
        dest = tmp_path / name
        n = 1
        while dest.exists():
            n += 1
            dest = tmp_path / f"{name}-{n}"
        shutil.copytree(SCENARIOS / name, dest)
        return dest

    return copy


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the hash of its bytes (and its mtime)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[path.relative_to(folder).as_posix()] = (hashlib.sha256(path.read_bytes()).hexdigest()
                                                        + f":{path.stat().st_mtime_ns}")
        elif path.is_dir():
            out[path.relative_to(folder).as_posix() + "/"] = "dir"
    return out


# What the learner sets; a test starts from an environment without them (the session's caches stay).
LEARNER_ENV = {"BRIDGE_DATA", "REDIS_URL", "SKIP_REDIS", "BRIDGE_SAMPLE", "BRIDGE_REPLAY_TTL", "BRIDGE_REDACT",
               "BRIDGE_CHECKS", "BRIDGE_NO_CACHE", "BRIDGE_POLL_SECONDS", "BRIDGE_BUILD_ID", "VIRTUAL_ENV"}


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the learner's settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in LEARNER_ENV}
    env.update(extra)
    return env


def by_id(report) -> dict:
    """A report's results by check id."""
    return {r.id: r for r in report.results}


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = clean_env()
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "checks", *args], capture_output=True, text=True,
                          encoding="utf-8", env=full_env, cwd=cwd or ROOT, timeout=120)


def build_site(dest: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = clean_env()
    full_env.update({"NO_MKDOCS_2_WARNING": "1", **(env or {})})
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(dest)], capture_output=True, text=True, encoding="utf-8",
                          env=full_env, cwd=ROOT, timeout=300)


# Shared by several test modules (test modules never import each other).


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None

def wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    return None

def hit_rate_on(page: str | None) -> str | None:
    if not page:
        return None
    match = re.search(r"hit rate (\d+\.\d)% \(([\d,]+) hits of ([\d,]+) lookups\)", page)
    return match.group(0) if match else None

class Listener:
    """A loopback TCP server that hands each connection to ``handle`` in a thread of its own."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True
        self.sock.close()


class SilentServer(Listener):
    """Accepts TCP connections and never answers: a hung Redis."""

    def __init__(self) -> None:
        self.accepted = 0
        self.conns: list[socket.socket] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        self.accepted += 1
        self.conns.append(conn)  # held open, never read nor written

    def close(self) -> None:
        super().close()
        for c in self.conns:
            c.close()

def make_cluster(redis_factory, n: int = 3):
    nodes = [redis_factory(cluster=True) for _ in range(n)]
    per = 16384 // n
    for i, node in enumerate(nodes):
        end = 16383 if i == n - 1 else (i + 1) * per - 1
        with node.client() as c:
            c.execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, end)
    with nodes[0].client() as c:
        for node in nodes[1:]:
            c.execute_command("CLUSTER", "MEET", "127.0.0.1", node.port)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        states = []
        for node in nodes:
            with node.client() as c:
                states.append(c.cluster("INFO")["cluster_state"] == "ok" and len(c.cluster("NODES")) == n)
        if all(states):
            return nodes
        time.sleep(0.2)
    raise RuntimeError("cluster did not form")

def seed(server) -> None:
    import hashlib
    import random

    rng = random.Random(7)
    with server.client() as c:
        for i in range(40):
            c.set(f"resp:v1:{hashlib.md5(str(i).encode()).hexdigest()[:8]}", "answer")  # short hashes, no TTL
        for _ in range(20):  # Python-hash()-shaped: 19-digit, signed, as hash() of a str is
            value = rng.choice((-1, 1)) * rng.randint(10**18, 2**63 - 1)
            c.set(f"sem:{value}", "answer", ex=3600)
        for i in range(10):
            c.set(f"emb:v2:{hashlib.sha256(str(i).encode()).hexdigest()}", "vector", ex=3600)  # full SHA-256 keys

CHECK_PAGES = [c.page.rstrip("/") for c in REGISTRY]  # every check's page, from the registry

class Results(HTMLParser):
    """Collects the data-* attributes of every rendered result and readiness box."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[dict[str, str]] = []
        self.readiness: list[dict[str, str]] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if "bridge-result" in classes:
            self.results.append(a)
        if "bridge-readiness" in classes:
            self.readiness.append(a)
        for key in ("src",) if tag in {"script", "img", "iframe"} else ("href",) if tag == "link" else ():
            if (a.get(key) or "").startswith(("http://", "https://", "//")):
                self.external.append(a[key])

def parse(site: Path, page: str) -> tuple[Results, str]:
    html = (site / page / "index.html").read_text(encoding="utf-8")
    parser = Results()
    parser.feed(html)
    return parser, html


def stop(proc: subprocess.Popen, seconds: float = 15, sig: int = signal.SIGINT) -> None:
    """Stop a server the test started as a learner does, with Ctrl-C (SIGINT: MkDocs then removes its
    temporary site and the checks their trigger folder), or ``sig``, then SIGKILL if it lingers; always
    reaped."""
    proc.send_signal(sig)
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve_site(port: int, env: dict, output=subprocess.DEVNULL) -> subprocess.Popen:
    """``mkdocs serve`` of this project on a loopback port; stop it with ``stop``."""
    return subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-f", str(ROOT / "mkdocs.yml"), "-a",
                             f"127.0.0.1:{port}"], cwd=ROOT, env={"NO_MKDOCS_2_WARNING": "1", **env},
                            stdout=output, stderr=subprocess.STDOUT if output is not subprocess.DEVNULL else output)
