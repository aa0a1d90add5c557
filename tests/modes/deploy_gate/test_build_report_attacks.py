"""The build mode's report as a pull request's build job (or its checkout) can hand it to
deploy-gate: attacker data in its bytes and in where it lies. What the gate reads of it is
bounded, never reached through a link, and what the audit record digests is only a regular
file's bytes, read as far as the bound."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.local.audit import file_digest
from cicd_agent.modes.deploy_gate.build_report import raised
from cicd_agent.modes.deploy_gate.report_files import MAX_BYTES, BuildEvidence, read_build_report
from cicd_agent.risk.assessment import RiskAssessment, RiskFeatures

HEAD = "a" * 40
REPORT = {"mode": "build", "head": HEAD,
          "new_vulnerabilities": [{"id": "CVE-2026-1", "severity": "critical"}]}  # fmt: skip


def test_attack_a_report_reached_through_a_link_is_neither_read_nor_digested(
    tmp_path: Path,
) -> None:
    """ATTACK: the checkout holds the report's folder as a link out of it, or the report as a
    link to a file that never ends (``/proc/self/pagemap``: hundreds of GB of a regular file
    of size 0). Before: the report was read through the folder's link, and the audit record's
    digest followed the file's link and read on without end."""
    root, outside = tmp_path / "checkout", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "cicd-agent-build.json").write_text(json.dumps(REPORT))
    (root / "reports").symlink_to(outside)
    evidence, why = read_build_report(root, "reports/cicd-agent-build.json", HEAD)
    assert evidence is None and "symbolic link" in why, why
    (root / "cicd-agent-build.json").symlink_to(outside / "cicd-agent-build.json")
    assert file_digest(root / "cicd-agent-build.json").startswith("not read"), "a link followed"
    if os.path.exists("/proc/self/pagemap"):
        (root / "endless.json").symlink_to("/proc/self/pagemap")
        assert "symbolic link" in file_digest(root / "endless.json")
        assert "symbolic link" in read_build_report(root, "endless.json", HEAD)[1]


def test_attack_a_report_of_millions_of_tiny_objects_is_not_read(tmp_path: Path) -> None:
    """ATTACK: a report padded to the reader's old bound (64 MB) with empty objects, each a
    Python object to build: minutes and gigabytes before any verdict. A real report (its new
    and fixed vulnerabilities, layers, advice) is tens or hundreds of KB; past the bound it is
    not read at all."""
    head = json.dumps(REPORT)[:-1] + ', "padding": ['
    report = tmp_path / "cicd-agent-build.json"
    report.write_text(head + ",".join(["{}"] * ((MAX_BYTES - len(head)) // 3 + 1)) + "]}")
    evidence, why = read_build_report(tmp_path, report.name, HEAD)
    assert evidence is None and "more than" in why, why
    assert MAX_BYTES <= 8 << 20


def test_attack_sizes_of_thousands_of_digits_are_no_sizes(tmp_path: Path) -> None:
    """ATTACK: ``image_size`` of 4,300 digits (the most the JSON reader reads): before, the
    reason read "The image is 9,999,…" over 5,000 characters. A size past 2**53 bytes is none."""
    huge = int("9" * 4300)
    (tmp_path / "r.json").write_text(json.dumps({**REPORT, "image_size": huge,
                                                 "image_size_delta": -huge}))  # fmt: skip
    evidence, why = read_build_report(tmp_path, "r.json", HEAD)
    assert evidence is not None and why == ""
    assert (evidence.image_size, evidence.size_delta) == (None, None)


@pytest.mark.parametrize(
    ("level", "critical", "after"),
    [(RiskLevel.LOW, ("CVE-2026-1",), RiskLevel.HIGH), (RiskLevel.CRITICAL, (), RiskLevel.CRITICAL),
     (RiskLevel.CRITICAL, ("CVE-2026-1",), RiskLevel.CRITICAL), (RiskLevel.LOW, (), RiskLevel.LOW)],
)  # fmt: skip
def test_a_report_only_ever_raises_the_risk(
    level: RiskLevel, critical: tuple[str, ...], after: RiskLevel
) -> None:
    """A forged report can add caution and nothing else: a new critical vulnerability lifts the
    level to at least high, and no report lowers a level or its score."""
    features = RiskFeatures(
        lines_added=1, lines_deleted=0, files=1, directories=1, subsystems=1, entropy=0.0,
        fix=False, new_files=0, deleted_files=0, renamed_files=0, binary_files=0, submodules=0,
        commits=1,
    )  # fmt: skip
    before = RiskAssessment(risk_score=level.lower_bound, risk_level=level, change_types=[],
                            reasons=[], features=features)  # fmt: skip
    evidence = BuildEvidence("cicd-agent-build.json", HEAD, critical, ("GHSA-aaaa-bbbb-cccc",), 10, 2)
    now = raised(before, evidence)
    assert now.risk_level is after and now.risk_score >= before.risk_score
    assert [r.signal for r in now.reasons] == ["build"] * (3 if critical else 2)


def test_a_build_report_is_used_only_when_it_is_the_build_modes_about_this_head(
    tmp_path: Path,
) -> None:
    report = tmp_path / "build.json"
    found = {"mode": "build", "head": HEAD, "image_size": 10, "image_size_delta": -3,
             "new_vulnerabilities": [{"id": "CVE-2026-1", "severity": "CRITICAL"},
                                     {"id": "$(rm -rf /)", "severity": "high"}]}  # fmt: skip
    report.write_text(json.dumps(found))
    evidence, why = read_build_report(tmp_path, report.name, HEAD)
    assert why == "" and evidence is not None
    assert evidence.new_critical == ("CVE-2026-1",)
    assert evidence.new_high == ("(an id of another shape)",)  # never shown as written
    assert (evidence.image_size, evidence.size_delta) == (10, -3)
    for other, said in (({**found, "head": "b" * 40}, "another commit"),
                        ({**found, "mode": "review"}, "not a report of the build mode")):  # fmt: skip
        report.write_text(json.dumps(other))
        assert read_build_report(tmp_path, str(report), HEAD)[0] is None  # absolute: the same
        assert said in read_build_report(tmp_path, report.name, HEAD)[1]
    link = tmp_path / "link.json"
    link.symlink_to(report)
    assert "symbolic link" in read_build_report(tmp_path, link.name, HEAD)[1]
