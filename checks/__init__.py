"""Checks for the M2.1 -> M2.2 bridge: cache hit rate, cost baseline, failure docs, query diversity.

One code path serves the course pages, the command line (``python -m checks``) and CI.
"""

from .check import Check
from .config import Config
from .registry import REGISTRY
from .result import Report, Result, Source, SourceKind, Status
from .runner import run

__all__ = ["Check", "Config", "REGISTRY", "Report", "Result", "Source", "SourceKind", "Status", "run"]
