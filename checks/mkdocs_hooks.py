"""MkDocs hooks (listed under ``hooks:`` in mkdocs.yml).

* Before each build the shared ``Config`` and report are dropped, so every build (and every
  rebuild during ``mkdocs serve``) reads the environment and measures afresh, once: the hooks and
  every page block share that one ``Config`` (``checks.config.for_build``).
* During ``mkdocs serve``:
  - the learner's data folder and the ``checks`` package are watched; before each rebuild the
    ``checks`` modules are reloaded, so an author's edit takes effect without a restart;
  - Redis is polled every ``BRIDGE_POLL_SECONDS`` (default 5; 0 turns it off) and the site is
    rebuilt, with no file of the learner's touched, when what the hit-rate result shows would
    change (the poller touches a file in a private folder the server watches): the rate at
    its shown precision (0.1 point), its verdict, or a restart of Redis. A busy Redis whose
    counters move every second does not rebuild the site every poll (each MkDocs rebuild keeps
    some memory); the counts shown are those of the last rebuild, stamped with its time.
  - the ``checks`` modules are reloaded before a rebuild only when their source changed.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger("mkdocs.plugins.bridge-checks")
PACKAGE_DIR = Path(__file__).resolve().parent
KEEP = {"checks.session"}  # state that must survive a reload
_command = "build"


def on_startup(command, dirty=False, **kwargs) -> None:
    global _command
    _command = command


def on_env(env, config, files, **kwargs):
    """Keep the theme's compiled templates between builds (Jinja's own bytecode cache, keyed on
    each template's checksum): it is code, not results, so it can never show an old number. It
    saves about a third of a warm build (benchmarks/build.py).

    Compiled templates are code that the build runs, so they are kept only in this user's own
    cache folder, created 0700 and checked to be owned by this user and writable by nobody else
    (``checks.cache.private_folder``); anywhere else, the cache is off."""
    from jinja2 import FileSystemBytecodeCache

    settings = importlib.import_module("checks.config").for_build()
    folder = importlib.import_module("checks.cache").private_folder(settings.cache_root, "jinja")
    if folder is not None:
        env.bytecode_cache = FileSystemBytecodeCache(str(folder))
    return env


_loaded_stamp: tuple | None = None


def _sources_stamp() -> tuple:
    """What the package's source looks like now: name, size and mtime of each file."""
    stamp = []
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix in {".py", ".json"} and "__pycache__" not in path.parts:
            try:
                st = path.stat()
            except OSError:
                continue
            stamp.append((path.as_posix(), st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def _reload_checks() -> None:
    """Drop the ``checks`` modules (but ``KEEP``) when their source changed since they were loaded."""
    global _loaded_stamp
    stamp = _sources_stamp()
    if stamp == _loaded_stamp:
        return
    _loaded_stamp = stamp
    for name in [n for n in sys.modules if (n == "checks" or n.startswith("checks.")) and n not in KEEP]:
        del sys.modules[name]
    importlib.invalidate_caches()


def checks_version() -> str:
    """pyproject's version in a checkout (an editable install's metadata keeps the version it was installed
    at), else the installed package's."""
    pyproject = PACKAGE_DIR.parent / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        with open(pyproject, "rb") as fh:
            return tomllib.load(fh)["project"]["version"]
    import importlib.metadata

    return importlib.metadata.version("bridge-checks")


def build_date() -> str:
    """Today (UTC), or the date of SOURCE_DATE_EPOCH when a reproducible build sets it."""
    import os
    from datetime import datetime, timezone

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    when = datetime.fromtimestamp(int(epoch), tz=timezone.utc) if epoch.isdigit() else datetime.now(timezone.utc)
    return when.date().isoformat()


def on_config(config, **kwargs):
    """The footer stamp: which course text, which checks and when this site was built, so a learner or an
    instructor can tell two published builds apart (Material shows ``copyright`` in its footer)."""
    course = (config.get("extra") or {}).get("course_version", "unversioned")
    stamp = f"Course version {course} · checks {checks_version()} · built {build_date()}"
    base = config.get("copyright") or ""
    config["copyright"] = f"{base} · {stamp}" if base and stamp not in base else (base or stamp)
    return config


def on_pre_build(config, **kwargs) -> None:
    if _command == "serve":
        _reload_checks()
    importlib.import_module("checks.config").new_build()
    page = sys.modules.get("checks.page")  # imported by the first page block that needs it
    if page is not None:
        page.reset()


def on_serve(server, config, builder, **kwargs):
    settings = importlib.import_module("checks.config").for_build()
    if settings.data_dir is not None and not settings.sample and settings.data_dir.is_dir():
        server.watch(str(settings.data_dir))
    server.watch(str(PACKAGE_DIR))
    _start_polling(server, settings)
    return server


def _start_polling(server, settings) -> None:
    try:
        settings.validate()
    except Exception as exc:  # a bad BRIDGE_DATA or REDIS_URL shows on the pages; nothing to poll
        log.warning("Redis is not polled: %s", getattr(exc, "message", exc))
        return
    if settings.poll_seconds <= 0 or not settings.redis_enabled:
        return
    # The public way to ask MkDocs for a rebuild: change a file in a watched folder. The folder is
    # this process's own (mkdtemp: private, unique), and is removed when the server stops.
    trigger_dir = Path(tempfile.mkdtemp(prefix="bridge-serve-"))
    atexit.register(shutil.rmtree, trigger_dir, ignore_errors=True)
    server.watch(str(trigger_dir))
    thread = threading.Thread(target=_poll, args=(trigger_dir / "redis-changed", settings, settings.poll_seconds),
                              name="bridge-redis-poll", daemon=True)
    thread.start()
    log.info("Polling Redis at %s every %s s for new traffic", settings.redis_display, settings.poll_seconds)


def _counters(settings) -> tuple:
    """What the hit-rate result would show of Redis now, at its shown precision."""
    probe_cls = importlib.import_module("checks.redis_stats").RedisProbe
    try:
        stats = probe_cls(settings.redis_url, settings.redis_display).stats()
    except Exception as exc:  # unreachable now: a change when it comes back
        return ("unavailable", type(exc).__name__)
    shown = importlib.import_module("checks.hit_rate").shown
    return (stats.run_id, *shown(stats.hits, stats.misses))


def _poll(trigger: Path, settings, interval: float) -> None:
    last = _counters(settings)
    while True:
        time.sleep(interval)
        now = _counters(settings)
        if now != last:
            last = now
            try:
                trigger.write_text(repr(now), encoding="utf-8")  # the file watcher sees it and rebuilds
            except OSError:  # the server is stopping and removed the folder
                return
