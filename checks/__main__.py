"""The command line: ``python -m checks`` and ``python -m checks init DIR``.

Exit status: 0 when nothing failed or errored; 1 when a check failed (with
``--strict`` also on warn, skip, or sample data); 2 on error or bad usage.
Only this module prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import render
from .config import Config
from .errors import BridgeError
from .init import init_folder
from .registry import REGISTRY
from .result import Report, Status
from .secrets import scrub
from .text import terminal_safe
from .runner import run


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m checks",
        description="Check your M2.1 cache before M2.2: hit rate, cost baseline, failure docs, query diversity.",
        epilog="python -m checks init DIR writes a failures template and example data files into DIR "
               "(never overwriting). Exit status: 0 nothing failed, 1 a check failed "
               "(--strict: or warned, skipped, or used sample data), 2 error or bad usage.",
    )
    p.add_argument("--data", metavar="DIR", type=Path, help="your project folder (default: $BRIDGE_DATA; "
                   "without one, file checks use the shipped sample data)")
    p.add_argument("--redis", metavar="URL", help="Redis URL (default: $REDIS_URL or redis://localhost:6379/0)")
    p.add_argument("--no-redis", action="store_true", help="do not contact Redis (same as SKIP_REDIS=true)")
    p.add_argument("--sample", action="store_true", help="use only the shipped sample data (BRIDGE_SAMPLE=1)")
    p.add_argument("--redact", action="store_true", help="hide query text everywhere (BRIDGE_REDACT=1)")
    p.add_argument("--replay-ttl", metavar="SECONDS", type=float,
                   help="expire entries of the simulated similarity cache after SECONDS (BRIDGE_REPLAY_TTL)")
    p.add_argument("--replay-threshold", metavar="COSINE", type=float,
                   help="also replay at your semantic cache's similarity threshold (BRIDGE_REPLAY_THRESHOLD)")
    p.add_argument("--json", action="store_true", help="print one JSON report and nothing else on stdout")
    p.add_argument("-v", "--verbose", action="store_true", help="show details and sources")
    p.add_argument("--only", metavar="ID", action="append", help="run only this check (repeatable)")
    p.add_argument("--list", action="store_true", help="list the checks' ids and titles, then exit")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 on warn, skip or sample data too, not only on fail")
    return p


def exit_code(report: Report, strict: bool) -> int:
    statuses = {r.status for r in report.results}
    if Status.ERROR in statuses:
        return 2
    if Status.FAIL in statuses:
        return 1
    if strict and (statuses & {Status.WARN, Status.SKIP} or any(r.sample for r in report.results)):
        return 1
    return 0


def _write(text: str, stream=None) -> None:
    stream = stream or sys.stdout
    stream.write(text)
    stream.flush()


def _can_encode(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


# What the checks import, by module name; the CLI names what is missing before running anything.
DEPENDENCIES = ("redis", "jsonschema", "genai_prices", "numpy", "scipy", "platformdirs", "msgspec", "model2vec")


def missing_dependencies() -> list[str]:
    from importlib.util import find_spec

    return [name for name in DEPENDENCIES if find_spec(name) is None]


def _secrets_of(args: argparse.Namespace) -> tuple[str, ...]:
    return Config.from_env(validate=False, redis_url=args.redis).secrets


def _error(exc: BridgeError, secret_list: tuple[str, ...]) -> None:
    lines = [f"error: {exc.message}"] + ([f"hint: {exc.hint}"] if exc.hint else [])
    _write("".join(terminal_safe(scrub(line, secret_list)) + "\n" for line in lines), sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["init"]:
        return _init(argv[1:])
    args = _parser().parse_args(argv)
    if args.list:
        _write("".join(f"{c.id:16} {c.title}\n" for c in REGISTRY))
        return 0
    missing = missing_dependencies()
    if missing:
        _write(f"error: this Python ({terminal_safe(sys.executable)}) does not have the checks' dependencies "
               f"({', '.join(missing)}).\n"
               "hint: run the checks with the project's own Python, which `python scripts/dev.py serve` (or test) "
               "sets up: .venv/bin/python -m checks on macOS and Linux, .venv\\Scripts\\python -m checks on "
               "Windows.\n", sys.stderr)
        return 2
    if sys.stderr is not None and sys.stderr.isatty():
        from . import embedding

        embedding.PROGRESS = embedding.terminal_progress  # shown once embedding has taken over 2 s
    try:
        config = Config.from_env(validate=False, data_dir=args.data, redis_url=args.redis,
                                 use_redis=False if args.no_redis else None,
                                 sample=True if args.sample else None,
                                 redact=True if args.redact else None, replay_ttl_s=args.replay_ttl,
                                 replay_threshold=args.replay_threshold)
        report = run(config, args.only)
    except BridgeError as exc:
        _error(exc, _secrets_of(args))
        return 2
    from . import cache

    for message in cache.REFUSED:
        _write(terminal_safe(f"note: {message}") + "\n", sys.stderr)
    if args.json:
        # UTF-8 bytes whatever the console's code page: JSON is for programs.
        sys.stdout.flush()
        sys.stdout.buffer.write(render.to_json(report).encode("utf-8"))
        sys.stdout.flush()
    else:
        text = render.to_terminal(report, verbose=args.verbose)
        if not _can_encode(text):
            text = render.to_terminal(report, verbose=args.verbose, unicode=False)
        _write(text)
    return exit_code(report, args.strict)


def _init(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m checks init",
                                description="Write a failures template and example data files into DIR. "
                                            "Existing files are never overwritten.")
    p.add_argument("dir", metavar="DIR", type=Path)
    args = p.parse_args(argv)
    try:
        written, kept = init_folder(args.dir)
    except BridgeError as exc:
        _error(exc, ())
        return 2
    lines = [f"wrote {args.dir / name}" for name in written]
    lines += [f"kept  {args.dir / name} (already there; not overwritten)" for name in kept]
    lines.append("Fill in every placeholder: until you do, the checks treat these files as templates, not data.")
    _write("\n".join(terminal_safe(line) for line in lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
