"""zizmor's JSON results as our findings: only a result on a changed line counts, on our
severity scale, hygiene capped at medium, a low-confidence result one step lower."""

from __future__ import annotations

from typing import Any

from cicd_agent.analysis.severity import Severity
from cicd_agent.analysis.workflows.zizmor_map import location_lines, mapped

PATH = ".github/workflows/ci.yml"
TEXT = "on: push\njobs:\n  a:\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n"


def _location(kind: str, first: int, last: int, offsets: tuple[int, int] | None = None,
              path: str = f"./{PATH}", note: str = "") -> dict[str, Any]:  # fmt: skip
    concrete: dict[str, Any] = {
        "start_point": {"row": first - 1, "column": 4},
        "end_point": {"row": last - 1, "column": 9},
    }
    if offsets:
        concrete["offset_span"] = {"start": offsets[0], "end": offsets[1]}
    return {
        "symbolic": {"kind": kind, "key": {"Local": {"verbatim_path": path}}, "annotation": note},
        "concrete": {"location": concrete},
    }


def _result(
    ident: str, severity: str, confidence: str, *locations: dict[str, Any]
) -> dict[str, Any]:
    return {
        "ident": ident,
        "desc": f"{ident} described",
        "url": f"https://docs.zizmor.sh/audits/#{ident}",
        "determinations": {"severity": severity, "confidence": confidence},
        "locations": list(locations),
    }


def test_a_result_on_an_added_line_becomes_our_finding() -> None:
    result = _result("dangerous-triggers", "High", "High", _location("Primary", 1, 1, note="here"))
    finding = mapped(result, {PATH: {1}}, {PATH: TEXT})
    assert finding is not None
    assert (finding.rule, finding.path, finding.line) == ("workflow-dangerous-triggers", PATH, 1)
    assert finding.severity is Severity.HIGH
    assert "flags this change: here." in finding.body
    assert "https://docs.zizmor.sh/audits/#dangerous-triggers" in finding.body


def test_a_result_on_lines_the_change_did_not_add_is_not_ours() -> None:
    result = _result("dangerous-triggers", "High", "High", _location("Primary", 1, 1))
    assert mapped(result, {PATH: {3}}, {PATH: TEXT}) is None
    assert mapped(result, {"other.yml": {1}}, {}) is None


def test_hygiene_is_capped_at_medium_and_low_confidence_drops_a_step() -> None:
    pin = _result("unpinned-uses", "High", "High", _location("Primary", 2, 2))
    assert mapped(pin, {PATH: {2}}, {}) is not None
    assert mapped(pin, {PATH: {2}}, {}).severity is Severity.MEDIUM  # type: ignore[union-attr]
    unsure = _result("cache-poisoning", "High", "Low", _location("Primary", 2, 2))
    assert mapped(unsure, {PATH: {2}}, {}).severity is Severity.MEDIUM  # type: ignore[union-attr]
    info = _result("obfuscation", "Informational", "High", _location("Primary", 2, 2))
    assert mapped(info, {PATH: {2}}, {}).severity is Severity.LOW  # type: ignore[union-attr]


def test_a_template_injection_is_judged_on_the_expression_zizmor_marks() -> None:
    start = TEXT.index("github.event.issue.title")
    title = _result("template-injection", "High", "High",
                    _location("Primary", 5, 5, (start, start + len("github.event.issue.title"))))  # fmt: skip
    assert mapped(title, {PATH: {5}}, {PATH: TEXT}).severity is Severity.HIGH  # type: ignore[union-attr]
    login = TEXT.replace("github.event.issue.title", "github.actor   ")
    actor = _result("template-injection", "High", "High",
                    _location("Primary", 5, 5, (start, start + len("github.actor"))))  # fmt: skip
    lowered = mapped(actor, {PATH: {5}}, {PATH: login})
    assert lowered is not None and lowered.severity is Severity.MEDIUM


def test_location_lines_split_marked_from_hidden_enclosing_lines() -> None:
    result = _result("excessive-permissions", "Medium", "High", _location("Primary", 3, 4),
                     _location("Related", 6, 6), _location("Hidden", 1, 8),
                     _location("Primary", 9, 9, path="other.yml"))  # fmt: skip
    assert location_lines(result, PATH) == ({3, 4, 6}, set(range(1, 9)))
    assert location_lines({"locations": "broken"}, PATH) == (set(), set())
