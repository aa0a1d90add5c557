"""The API's test-runner facet: every runner cicd-agent knows (:data:`RUNNERS`, each a
:class:`TestRunner`), the one a file belongs to (:func:`for_file`), and the sessions of the
runner the verifier drives itself (:data:`SESSIONS`). Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.runners import RUNNERS, SESSIONS, for_file
from cicd_agent.runners.protocol import TestRunner

__all__ = ["RUNNERS", "SESSIONS", "TestRunner", "for_file"]
