"""Shared fixtures: real redis-server processes on free loopback ports, scenario folders, runners.

Tests that need a service skip locally with a reason when it is missing; with
BRIDGE_REQUIRE_SERVICES=1 (set by .ci/run) every skip becomes a failure.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
REQUIRE = os.environ.get("BRIDGE_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}
# The caches of this test session: not the user's, and empty at the start. XDG_CACHE_HOME also
# covers a Config built directly in a test (it reads no environment; its default is the user's
# cache folder, which platformdirs puts under XDG_CACHE_HOME).
os.environ["BRIDGE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bridge-cache-")
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="bridge-xdg-cache-")


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


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items()
                if k not in {"BRIDGE_DATA", "REDIS_URL", "SKIP_REDIS", "BRIDGE_SAMPLE"}}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "checks", *args], capture_output=True, text=True,
                          encoding="utf-8", env=full_env, cwd=cwd or ROOT, timeout=120)


def build_site(dest: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items()
                if k not in {"BRIDGE_DATA", "REDIS_URL", "SKIP_REDIS", "BRIDGE_SAMPLE"}}
    full_env.update({"NO_MKDOCS_2_WARNING": "1", **(env or {})})
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(dest)], capture_output=True, text=True, encoding="utf-8",
                          env=full_env, cwd=ROOT, timeout=300)
