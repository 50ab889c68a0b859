"""MkDocs hooks (listed under ``hooks:`` in mkdocs.yml).

Before each build the shared report is dropped, so every build (and every
rebuild during ``mkdocs serve``) measures afresh but reads each source once.
During ``mkdocs serve`` the learner's data folder is watched too.
"""

from __future__ import annotations

import os
from pathlib import Path

from checks import page


def on_pre_build(config, **kwargs) -> None:
    page.reset()


def on_serve(server, config, builder, **kwargs):
    data = os.environ.get("BRIDGE_DATA")
    if data and Path(data).is_dir():
        server.watch(data)
    return server
