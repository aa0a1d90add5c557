"""The build mode's report (``cicd-agent-build.json``) as deploy-gate reads it
(:class:`BuildEvidence`), and any mode's report about this head (the eval mode's). A wiring test
writes a report as the build mode does and reads it back here, so a field renamed on either side
fails a test.

A report is attacker data: read through the bounded JSON reader, ids kept only in their usual
shape, unused when about another commit. So is where it lies: inside the checkout no link is
followed at any part of the path, outside it none as its last part, and only a regular file of at
most :data:`MAX_BYTES` is read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json
from cicd_agent.local.checkout_files import CheckoutFileError, read_bytes

MAX_BYTES = 8 * 1024 * 1024
"""The largest report read: a real one (new and fixed vulnerabilities, layers, advice) is tens
or hundreds of KB; 8 MB of the smallest JSON objects, 2.8 million of them, takes about a
second and 230 MB to read (research/security/results.md)."""
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
MAX_SIZE = 2**53
"""The largest image size or change of one taken as bytes (8 PiB)."""


@dataclass(frozen=True)
class BuildEvidence:
    """What the build's report says about the head's image."""

    file: str
    head: str
    new_critical: tuple[str, ...]
    new_high: tuple[str, ...]
    image_size: int | None
    size_delta: int | None


def read_mode_report(
    root: Path, given: str, head: str, mode: str
) -> tuple[dict[str, object] | None, str, str]:
    """The report ``given`` (relative to the checkout ``root``, or absolute) if it is one
    ``mode`` wrote about ``head``: its JSON object, its file's name, and "" ; else None, the
    name and why it is not used. Every mode's report that another mode reads comes through
    here, so each is checked for its writer and its commit alike."""
    folder, relative = _place(root, given)
    shown = PurePosixPath(relative).name
    try:
        data = load_json(read_bytes(folder, relative, MAX_BYTES))
    except CheckoutFileError as exc:
        return None, shown, f"The {mode} report {shown} {exc.detail}: not used."
    except JsonRefused as exc:
        return None, shown, f"The {mode} report {shown} cannot be read ({exc}): not used."
    if not isinstance(data, dict) or data.get("mode") != mode:
        return None, shown, f"{shown} is not a report of the {mode} mode: not used."
    about = data.get("head")
    if not isinstance(about, str) or about != head:
        return (
            None,
            shown,
            (
                f"The {mode} report {shown} is about another commit, not this change's head "
                f"{head[:12]}: not used."
            ),
        )
    return data, shown, ""


def read_build_report(root: Path, given: str, head: str) -> tuple[BuildEvidence | None, str]:
    """The report ``given`` (relative to the checkout ``root``, or absolute) if it is a build
    report about ``head``; else None and why."""
    data, shown, why = read_mode_report(root, given, head, "build")
    if data is None:
        return None, why
    found: dict[str, list[str]] = {"critical": [], "high": []}
    listed = data.get("new_vulnerabilities")
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict):
            continue
        name, severity = item.get("id"), item.get("severity")
        if isinstance(severity, str) and severity.lower() in found:
            ok = isinstance(name, str) and IDENTIFIER.fullmatch(name)
            found[severity.lower()].append(str(name) if ok else "(an id of another shape)")
    return BuildEvidence(
        file=shown,
        head=head,
        new_critical=tuple(found["critical"]),
        new_high=tuple(found["high"]),
        image_size=_count(data.get("image_size")),
        size_delta=_count(data.get("image_size_delta"), signed=True),
    ), ""


def _place(root: Path, given: str) -> tuple[Path, str]:
    """The folder to open ``given`` from and its path there: inside the checkout, the checkout
    (no part of the path may be a link); a path the workflow names outside it (absolute, or
    climbing out with ``..``), its own folder (its last part may not be a link)."""
    path = PurePosixPath(given)
    if path.is_absolute() or ".." in path.parts:
        full = root / given
        return full.parent, full.name
    return root, given


def _count(value: object, *, signed: bool = False) -> int | None:
    """A size in bytes (``signed``: a change of one), or None: past :data:`MAX_SIZE` a number
    is no size (a forged one of thousands of digits would fill the reason)."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_SIZE:
        return None
    return value if signed or value >= 0 else None
