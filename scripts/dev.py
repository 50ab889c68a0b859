"""Set up and run the bridge site and its tests, the same way on Windows, macOS and Linux.

    python scripts/dev.py serve [--data DIR] [--redis URL] [--no-redis] [--sample] [-a HOST:PORT]
    python scripts/dev.py build [--data DIR] [--redis URL] [--no-redis] [--sample] [-d SITE_DIR]
                                [--engine mkdocs|zensical]
    python scripts/dev.py test  [pytest arguments]

The first run creates a virtual environment in .venv and installs the project's
pinned dependencies into it (the test tools only for `test`, Zensical only when it is
asked for); later runs reinstall only when pyproject.toml changed. A .venv made by
another interpreter, or a broken one, is made again. Only the standard library is used
here, and the interpreter is checked first: the project needs Python 3.11 or newer.
"""

from __future__ import annotations

import sys

MIN_PYTHON = (3, 11)


def require_python(version: tuple = tuple(sys.version_info[:3]), executable: str = sys.executable) -> str | None:
    """The message to stop with when this interpreter is too old, else None."""
    if tuple(version[:2]) >= MIN_PYTHON:
        return None
    shown = ".".join(str(v) for v in version[:3])
    return (f"This is Python {shown} ({executable}); the project needs Python "
            f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer (its pinned numpy, scipy and markdown-exec do).\n"
            "Install a newer Python and run this script with it: on Windows `py -3.11 scripts\\dev.py ...`, "
            "on macOS and Linux `python3.11 scripts/dev.py ...`.")


if __name__ == "__main__":
    _problem = require_python()
    if _problem:
        sys.stderr.write(_problem + "\n")
        sys.exit(2)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import venv  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".bridge-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def venv_version(cfg: Path = VENV / "pyvenv.cfg") -> tuple[int, ...] | None:
    """The Python version a virtual environment was made with (from its pyvenv.cfg), if readable."""
    try:
        lines = cfg.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip().lower() in {"version", "version_info"}:
            try:
                return tuple(int(p) for p in value.strip().split(".")[:3])
            except ValueError:
                return None
    return None


def venv_is_usable(version: tuple[int, ...] | None, python_exists: bool,
                   current: tuple = tuple(sys.version_info[:2])) -> bool:
    """A .venv is kept only if its interpreter exists and is this one's major.minor version."""
    return python_exists and version is not None and tuple(version[:2]) == tuple(current[:2])


def ensure_env(extras: tuple[str, ...] = ()) -> None:
    """Create .venv and install the pinned project (with ``extras``) into it, unless already done."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    wanted += f" python{sys.version_info[0]}.{sys.version_info[1]}"
    have = STAMP.read_text().split("\n") if STAMP.exists() else []
    usable = venv_is_usable(venv_version(), PYTHON.exists())
    installed = set(have[1].split(",")) - {""} if len(have) > 1 and have[0] == wanted else None
    if usable and installed is not None and set(extras) <= installed:
        return
    if not usable:
        if VENV.exists():
            print(f"{VENV} was made by another Python, or is broken: making it again", flush=True)
            shutil.rmtree(VENV)
        print(f"creating a virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        installed = None
    extras = tuple(sorted(set(extras) | (installed or set())))
    spec = f"{ROOT}[{','.join(extras)}]" if extras else str(ROOT)
    print("installing the project and its pinned dependencies (first run only)", flush=True)
    if STAMP.exists():
        STAMP.unlink()  # an interrupted install is not a finished one
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-e", spec], check=True)
    STAMP.write_text(wanted + "\n" + ",".join(extras))


CHILD_GRACE_S = 3.0  # how long a child that got Ctrl+C from the terminal has to stop by itself


def _interrupt(child: subprocess.Popen) -> None:
    """Ask the child to stop as Ctrl+C does, so that MkDocs removes its temporary site and the checks
    their polling folder; end it if it is still running after ``CHILD_GRACE_S`` (a child started in the
    background by a script ignores Ctrl+C). Windows cannot send Ctrl+C to one child alone: there it is ended."""
    if os.name == "nt":
        child.terminate()
        return
    child.send_signal(signal.SIGINT)
    timer = threading.Timer(CHILD_GRACE_S, lambda: child.poll() is None and child.terminate())
    timer.daemon = True
    timer.start()


def run_child(cmd: list[str], **kwargs) -> int:
    """Run ``cmd``; SIGTERM and Ctrl+C to this script stop the child too, cleanly, and it is waited for."""
    child = subprocess.Popen(cmd, **kwargs)

    def forward(signum, frame):  # noqa: ARG001
        _interrupt(child)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                # From a terminal the child got the same Ctrl+C and is shutting down: a second one would cut
                # its clean-up short. Only if it is still running after that is it asked itself.
                try:
                    return child.wait(CHILD_GRACE_S)
                except (subprocess.TimeoutExpired, KeyboardInterrupt):
                    _interrupt(child)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            child.kill()
            child.wait()


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
    if args.command == "test":
        ensure_env(("test",))
        return run_child([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)
    if args.command == "build" and args.engine == "zensical":
        ensure_env(("zensical",))
        return zensical_build(args)
    ensure_env()
    cmd = [str(PYTHON), "-m", "mkdocs", args.command, "--strict", "-f", str(ROOT / "mkdocs.yml")]
    if args.command == "serve":
        cmd += ["-a", args.dev_addr]
    else:
        cmd += ["-d", args.site_dir]
    code = run_child(cmd, cwd=ROOT, env=site_env(args))
    return 0 if args.command == "serve" and code in (-signal.SIGTERM, -signal.SIGINT) else code


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
