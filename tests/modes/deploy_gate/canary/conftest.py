"""The scripted metric store (``store``) for the canary source tests."""

from tests.helpers.metric_store import store

__all__ = ["store"]
