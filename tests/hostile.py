"""Tools for the hostile-input tests: a bounded run of the command line, faulty TCP peers.

``bounded_cli`` runs ``python -m checks`` in a child process with a hard timeout (a hang fails
fast, never stalls the suite) and reads the child's own peak memory. The peers are faults put in
front of, or in place of, a real ``redis-server``: a proxy that delays every reply, and a peer
that dribbles one byte at a time. They are not a Redis: they break one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import Listener

ROOT = Path(__file__).resolve().parent.parent

HARD_TIMEOUT_S = 30  # a hang, or a blow-up of seconds into minutes, fails the case
PEAK_MIB = 500  # what any hostile input may cost

_CHILD = """
import resource, sys
from checks.__main__ import main
try:
    code = main(sys.argv[1:])
finally:
    sys.stdout.flush()
    sys.stderr.write("\\nBRIDGE_PEAK_KIB=%d\\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""
_ENV_DROP = {"BRIDGE_DATA", "REDIS_URL", "SKIP_REDIS", "BRIDGE_SAMPLE", "BRIDGE_REPLAY_TTL", "BRIDGE_REDACT",
             "BRIDGE_REPLAY_THRESHOLD"}


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mib: float

    def report(self) -> dict:
        """The --json report, read by a strict parser: NaN or Infinity anywhere fails the test."""
        def refuse(token: str) -> None:
            raise AssertionError(f"--json printed {token}, which is not JSON")

        return json.loads(self.stdout, parse_constant=refuse)

    def results(self) -> dict[str, dict]:
        return {r["id"]: r for r in self.report()["results"]}


def bounded_cli(*args: str, env: dict | None = None, timeout: float = HARD_TIMEOUT_S) -> Outcome:
    full_env = {k: v for k, v in os.environ.items() if k not in _ENV_DROP}
    full_env.update(env or {})
    began = time.monotonic()
    out = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, cwd=ROOT, env=full_env,
                         timeout=timeout)
    seconds = time.monotonic() - began
    stderr = out.stderr.decode("utf-8", "replace")
    peak = 0.0
    head, sep, tail = stderr.rpartition("BRIDGE_PEAK_KIB=")
    if sep:
        peak = int(tail.split()[0]) / 1024
        stderr = head.rstrip("\n")
    print(f"bounded_cli {' '.join(args)[:80]}: {seconds:.2f} s, peak {peak:.0f} MiB")
    return Outcome(out.returncode, out.stdout.decode("utf-8", "replace"), stderr, seconds, peak)


class DelayingProxy(Listener):
    """A TCP proxy in front of a real Redis that holds every reply for ``delay`` seconds."""

    def __init__(self, upstream_port: int, delay: float) -> None:
        self.upstream_port = upstream_port
        self.delay = delay
        super().__init__()

    def handle(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        threading.Thread(target=self._pipe, args=(client, upstream, 0.0), daemon=True).start()
        self._pipe(upstream, client, self.delay)

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, delay: float) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                time.sleep(delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass


class Dribbler(Listener):
    """Answers every request with the start of a reply, then one byte every ``interval`` seconds."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            for byte in b"$100000\r\n" + b"x" * 100000:
                if self.closed:
                    break
                conn.sendall(bytes([byte]))
                time.sleep(self.interval)
        except OSError:
            pass
        finally:
            conn.close()


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path
