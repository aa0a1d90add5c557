"""The API's tests facet: the tests' history kept between runs (:class:`FileStore`, under
:func:`history_key`; a test's :func:`canonical_test` name) and what it says of flaky tests
(:func:`stats` of :class:`StoredRun` records, each a :class:`FlakyStat`). Loaded only by a
mode that imports it."""

from __future__ import annotations

from cicd_agent.analysis.flaky_stats import FlakyStat, StoredRun, stats
from cicd_agent.analysis.history import canonical_test
from cicd_agent.local.test_history import FileStore, history_key

__all__ = ["FileStore", "FlakyStat", "StoredRun", "canonical_test", "history_key", "stats"]
