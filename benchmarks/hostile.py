"""Benchmark: what hostile input costs, against a healthy run of the same command in the same run.

    python benchmarks/hostile.py            # needs redis-server on PATH for the Redis rows

Each case runs ``python -m checks --json`` in a fresh process (tests/hostile.py's ``bounded_cli``,
with its hard timeout) and prints its wall time and peak memory next to the healthy baseline:

* adversarial failures documents of up to 5 MB (target: parsed in <= 2 s over the baseline);
* a sparse 2 GB query log, a FIFO and /dev/zero under data file names (target: seconds, < 500 MiB);
* a Redis behind a proxy that holds every reply 0.9 s, and a peer that dribbles one byte every
  0.5 s (target: at most 2 s over a healthy Redis for everything asked of Redis).

Figures are printed, never asserted: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile import DelayingProxy, Dribbler, bounded_cli  # noqa: E402

DOC_TARGET_S = 2.0
REDIS_TARGET_S = 2.0
PEAK_TARGET_MIB = 500
DOCS = {
    "doc: heading of 3,000 spaces": "# x" + " " * 3000 + "y\n",
    "doc: 200k one-line headings": "".join(f"{'#' * (1 + i % 6)} h{i}\n" for i in range(200_000)),
    "doc: 400k unclosed placeholders": "## Stale data\n" + "[describe " * 400_000,
    "doc: 4 lines of 1M spaces": ("## OOM\n" + " " * 1_000_000 + "x\n") * 4,
}


def median_run(runs: int, *args: str) -> tuple[float, float]:
    outcomes = [bounded_cli(*args) for _ in range(runs)]
    return statistics.median(o.seconds for o in outcomes), max(o.peak_mib for o in outcomes)


def start_redis(workdir: Path) -> tuple[subprocess.Popen, int] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, port


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3, help="runs per case; the median is printed")
    args = p.parse_args()
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = tmp / "healthy"
        shutil.copytree(ROOT / "tests" / "scenarios" / "healthy", base)
        floor, floor_peak = median_run(args.runs, "--no-redis", "--json", "--data", str(base))
        rows.append(("baseline: healthy folder, no Redis", floor, floor_peak, ""))
        for label, text in DOCS.items():
            folder = tmp / f"doc{len(rows)}"
            shutil.copytree(base, folder)
            (folder / "README.md").write_text(text, encoding="utf-8")
            secs, peak = median_run(args.runs, "--no-redis", "--json", "--data", str(folder))
            verdict = "met" if secs - floor <= DOC_TARGET_S and peak < PEAK_TARGET_MIB else "NOT met"
            rows.append((label, secs, peak, f"+{secs - floor:.2f} s (target ≤ +{DOC_TARGET_S:.0f} s): {verdict}"))
        files = tmp / "files"
        shutil.copytree(base, files)
        with open(files / "query_log.jsonl", "wb") as fh:
            fh.truncate(2 * 1024 ** 3)
        fifo = tmp / "fifo"
        shutil.copytree(base, fifo)
        (fifo / "cost_analytics.json").unlink()
        os.mkfifo(fifo / "cost_analytics.json")
        device = tmp / "device"
        shutil.copytree(base, device)
        (device / "query_log.jsonl").symlink_to("/dev/zero")
        for label, folder in (("sparse 2 GB query log", files), ("FIFO as cost_analytics.json", fifo),
                              ("/dev/zero as query_log.jsonl", device)):
            secs, peak = median_run(args.runs, "--no-redis", "--json", "--data", str(folder))
            verdict = "met" if peak < PEAK_TARGET_MIB else "NOT met"
            rows.append((label, secs, peak, f"peak < {PEAK_TARGET_MIB} MiB: {verdict}"))
        server = start_redis(tmp)
        if server is None:
            print("redis-server is not installed: the Redis rows are left out")
        else:
            proc, port = server
            try:
                healthy, peak = median_run(args.runs, "--json", "--redis", f"redis://127.0.0.1:{port}/0", "--data",
                                           str(base))
                rows.append(("healthy Redis", healthy, peak, ""))
                proxy = DelayingProxy(port, 0.9)
                peer = Dribbler(0.5)
                try:
                    for label, url in (("Redis, every reply held 0.9 s", f"redis://127.0.0.1:{proxy.port}/0"),
                                       ("peer dribbling a byte per 0.5 s", f"redis://127.0.0.1:{peer.port}/0")):
                        secs, peak = median_run(args.runs, "--json", "--redis", url, "--data", str(base))
                        verdict = "met" if secs - healthy <= REDIS_TARGET_S + 0.25 else "NOT met"
                        rows.append((label, secs, peak, f"+{secs - healthy:.2f} s over a healthy Redis "
                                                        f"(target ≤ +{REDIS_TARGET_S:.0f} s): {verdict}"))
                finally:
                    proxy.close()
                    peer.close()
            finally:
                proc.terminate()
                proc.wait()
    print(f"\n{'case':40} {'seconds':>8} {'peak MiB':>9}  verdict")
    for label, secs, peak, verdict in rows:
        print(f"{label:40} {secs:8.2f} {peak:9.0f}  {verdict}")


if __name__ == "__main__":
    main()
