"""``python -m checks init DIR``: the only code that writes into a learner's folder.

It writes templates the learner fills in. Each carries template text, so the
checks refuse it as data until it is replaced; and an existing file is never
overwritten (files are opened in exclusive-create mode).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import InputError

# The example log has a name the checks do not read: rename it to query_log.jsonl once it holds your traffic.
TEMPLATES = ["failures_documentation.md", "cache_metrics.json", "cost_analytics.json", "query_diversity.json",
             "query_log.example.jsonl"]


def init_folder(folder: Path) -> tuple[list[str], list[str]]:
    """Write the templates into ``folder``; return (written, kept) file names."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    written, kept = [], []
    for name in TEMPLATES:
        text = resources.files("checks").joinpath("templates", name).read_text("utf-8")
        try:
            with open(folder / name, "x", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except FileExistsError:
            kept.append(name)
            continue
        except OSError as exc:
            raise InputError(f"cannot write {folder / name}: {exc.strerror or exc}") from exc
        written.append(name)
    return written, kept
