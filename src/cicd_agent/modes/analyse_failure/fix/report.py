"""The fix step's part of the result: what was tried and what is offered.

Its own module so that ``result`` (which renders it) and ``fix.render`` both import it
without importing each other.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FixTry(_Item):
    """One candidate patch and the verifier's verdict on it."""

    source: Literal["fixer", "model"]
    summary: str
    verified: bool
    reason: str


class FixOutcome(_Item):
    """The fix step's answer: a verified patch (``status: verified``), one that passes on code
    whose pass is no proof (``passes``: shown, never suggested or opened), or why there is none."""

    requested: Literal["suggest", "pr"]
    status: Literal["verified", "passes", "none"]
    reason: str
    command: str = ""
    """The failing command the patch was judged against."""
    source: Literal["fixer", "model"] | None = None
    summary: str = ""
    patch: str = ""
    files: list[str] = Field(default_factory=list)
    patch_path: str = ""
    pr_url: str = ""
    suggestions: int = 0
    """Hunks posted as ``suggestion`` review comments on the pull request."""
    suggestions_url: str = ""
    shown_in_comment: bool = True
    """False when every hunk went out as a suggestion (the comment then does not repeat it)."""
    publish_notes: list[str] = Field(default_factory=list)
    tried: list[FixTry] = Field(default_factory=list)
    test_status: Literal["verified", "checked", "none"] = "none"
    """The new test that fails without the fix and passes with it (when no existing test
    failed): ``verified`` on code from someone who can push, ``checked`` otherwise."""
    test_reason: str = ""
    test_path: str = ""
    test: str = ""
    verified_files: tuple[tuple[str, str | None], ...] = Field(default=(), exclude=True, repr=False)
    """The verified patch's files as they read after it applied (None: deleted): what publish
    puts in the fix's pull request. Never rendered: excluded from ``--json``, the outputs and
    the repr, since only the patch itself is ever shown."""
