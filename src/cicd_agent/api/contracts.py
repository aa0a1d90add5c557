"""The API's contracts facet: the known tools a job runs (:data:`TOOLS`, each a
:class:`KnownTool`; :func:`job_tool`, or :class:`Refused`) and a verification's outcome checked
against its contract (:func:`checked`, :data:`NOT_PROOF`). Loaded only by a mode that imports
it; it brings no test runner."""

from __future__ import annotations

from cicd_agent.analysis.known_tools import TOOLS, KnownTool
from cicd_agent.local.job_tools import Refused, job_tool
from cicd_agent.verify.contract import NOT_PROOF, checked

__all__ = ["NOT_PROOF", "TOOLS", "KnownTool", "Refused", "checked", "job_tool"]
