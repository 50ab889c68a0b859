"""Checks for the M2.1 -> M2.2 bridge: cache hit rate, cost baseline, failure docs, query diversity.

One code path serves the course pages, the command line (``python -m checks``) and CI.
"""

from .config import Config
from .registry import REGISTRY, Check
from .result import Result, Source, SourceKind, Status
from .runner import Report, run

__all__ = ["Check", "Config", "REGISTRY", "Report", "Result", "Source", "SourceKind", "Status", "run"]
