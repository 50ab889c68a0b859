"""Set up and run the bridge site and its tests, the same way on Windows, macOS and Linux.

    python scripts/dev.py serve [--data DIR] [--redis URL] [--no-redis] [--sample] [-a HOST:PORT]
    python scripts/dev.py build [--data DIR] [--redis URL] [--no-redis] [--sample] [-d SITE_DIR]
    python scripts/dev.py test  [pytest arguments]

The first run creates a virtual environment in .venv and installs the project's
pinned dependencies into it; later runs reinstall only when pyproject.toml changed.
Only the standard library is used here, so any Python 3.10+ can run it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".bridge-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_env() -> None:
    """Create .venv and install the pinned project into it, unless already done."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"creating a virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing the project and its pinned dependencies (first run only)", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def site_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("NO_MKDOCS_2_WARNING", "1")
    if args.data:
        env["BRIDGE_DATA"] = str(Path(args.data).expanduser().resolve())
    if args.redis:
        env["REDIS_URL"] = args.redis
    if args.no_redis:
        env["SKIP_REDIS"] = "true"
    if args.sample:
        env["BRIDGE_SAMPLE"] = "1"
    return env


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/dev.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "build"):
        p = sub.add_parser(name, help=f"mkdocs {name} on your data or the sample")
        p.add_argument("--data", metavar="DIR", help="your M2.1 project folder (BRIDGE_DATA)")
        p.add_argument("--redis", metavar="URL", help="your Redis URL (REDIS_URL)")
        p.add_argument("--no-redis", action="store_true", help="do not contact Redis")
        p.add_argument("--sample", action="store_true", help="only the shipped sample data")
        if name == "serve":
            p.add_argument("-a", "--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT")
        else:
            p.add_argument("-d", "--site-dir", default="site", metavar="DIR")
    sub.add_parser("test", help="run the test suite (extra arguments go to pytest)")
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "test":
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    ensure_env()
    if args.command == "test":
        cmd = [str(PYTHON), "-m", "pytest", *rest]
        return subprocess.run(cmd, cwd=ROOT).returncode
    cmd = [str(PYTHON), "-m", "mkdocs", args.command, "--strict", "-f", str(ROOT / "mkdocs.yml")]
    if args.command == "serve":
        cmd += ["-a", args.dev_addr]
    else:
        cmd += ["-d", args.site_dir]
    try:
        return subprocess.run(cmd, cwd=ROOT, env=site_env(args)).returncode
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
