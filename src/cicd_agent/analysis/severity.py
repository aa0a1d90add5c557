"""The one severity scale, ``low < medium < high < critical``, for review's thresholds, findings,
annotations, SARIF levels and flags alike. An unknown value is a usage error listing the valid
ones: ``fail-on: hihg`` must stop the run, not quietly turn the gate off (warden drops such
values silently)."""

from __future__ import annotations

from enum import IntEnum

from cicd_agent.actions.errors import UsageError


class Severity(IntEnum):
    """Ordered so that ``finding.severity >= threshold`` reads as it should."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lower-case name used in inputs, outputs and JSON (``high``)."""
        return self.name.lower()

    def __str__(self) -> str:
        return self.label


SEVERITY_NAMES: tuple[str, ...] = tuple(level.label for level in Severity)
"""Valid values, lowest first: what ``fail-on`` and ``report-on`` accept."""


def parse_severity(value: str, *, option: str = "severity") -> Severity:
    """``value`` as a Severity (case and surrounding spaces ignored), else a UsageError.

    ``option`` names the flag or input in the message, so the user knows which one to fix.
    """
    word = value.strip().lower()
    for level in Severity:
        if level.label == word:
            return level
    raise UsageError(
        f"{option} {value!r} is not a severity; use one of: {', '.join(SEVERITY_NAMES)}.",
    )
