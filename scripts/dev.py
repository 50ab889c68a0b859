"""Set up and run the bridge site and its tests, the same way on Windows, macOS and Linux.

    python scripts/dev.py serve [--data DIR] [--redis URL] [--no-redis] [--sample] [-a HOST:PORT]
    python scripts/dev.py build [--data DIR] [--redis URL] [--no-redis] [--sample] [-d SITE_DIR]
                                [--engine mkdocs|zensical]
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
            p.add_argument("--engine", choices=("mkdocs", "zensical"), default="mkdocs",
                           help="MkDocs (the default) or Zensical, Material's successor")
    sub.add_parser("test", help="run the test suite (extra arguments go to pytest)")
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "test":
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    ensure_env()
    if args.command == "test":
        cmd = [str(PYTHON), "-m", "pytest", *rest]
        return subprocess.run(cmd, cwd=ROOT).returncode
    if args.command == "build" and args.engine == "zensical":
        return zensical_build(args)
    cmd = [str(PYTHON), "-m", "mkdocs", args.command, "--strict", "-f", str(ROOT / "mkdocs.yml")]
    if args.command == "serve":
        cmd += ["-a", args.dev_addr]
    else:
        cmd += ["-d", args.site_dir]
    try:
        return subprocess.run(cmd, cwd=ROOT, env=site_env(args)).returncode
    except KeyboardInterrupt:
        return 0


def run_zensical(dest: Path, env: dict[str, str], clean: bool = True, exe: str | None = None,
                 capture: bool = False) -> subprocess.CompletedProcess:
    """Build with Zensical into ``dest``.

    Zensical has no -d option and wants docs_dir and site_dir inside the folder of its
    configuration file: so a copy of mkdocs.yml beside it names a scratch site_dir there, and
    the result is moved to ``dest``. Both scratch paths are removed afterwards.
    """
    import shutil
    import uuid

    tag = uuid.uuid4().hex[:12]
    scratch = ROOT / f".zensical-site-{tag}"
    config = ROOT / f".zensical-{tag}.yml"
    config.write_text((ROOT / "mkdocs.yml").read_text(encoding="utf-8") + f"\nsite_dir: '{scratch.name}'\n",
                      encoding="utf-8")
    exe = exe or str(BIN / ("zensical.exe" if os.name == "nt" else "zensical"))
    try:
        out = subprocess.run([exe, "build", "--strict", *(["--clean"] if clean else []), "-f", str(config)],
                             cwd=ROOT, env=env, capture_output=capture, text=True)
        if out.returncode == 0:
            if dest.exists():
                shutil.rmtree(dest)
            shutil.move(str(scratch), str(dest))
        return out
    finally:
        config.unlink()
        shutil.rmtree(scratch, ignore_errors=True)


def zensical_build(args: argparse.Namespace) -> int:
    """Zensical caches rendered pages: build clean, with a fresh build id, so no number is stale."""
    import uuid

    env = site_env(args)
    env["BRIDGE_BUILD_ID"] = uuid.uuid4().hex
    return run_zensical(Path(args.site_dir).resolve(), env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
