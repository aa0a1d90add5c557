"""The build mode's report as deploy-gate reads it: the one place both modes meet is the file,
so the writer (build's result) and the reader (deploy-gate's) are held to each other here."""

from __future__ import annotations

import json
from pathlib import Path

from cicd_agent.modes.build.result import BuildResult, VulnerabilityReport
from cicd_agent.modes.deploy_gate.report_files import BuildEvidence, read_build_report

HEAD = "a" * 40


def test_the_report_the_mode_writes_is_what_a_reader_of_it_reads(tmp_path: Path) -> None:
    """The report as publish writes it, read back by deploy-gate's reader: a field renamed on
    either side (the result's or the reader's) fails here."""
    result = BuildResult(
        headline="built", head=HEAD, image_size=120, image_size_delta=35,
        new_vulnerabilities=[
            VulnerabilityReport(id="CVE-2026-1", package="pkg:deb/openssl", severity="CRITICAL"),
            VulnerabilityReport(id="GHSA-aaaa-bbbb-cccc", package="pkg:pypi/flask", severity="high"),
            VulnerabilityReport(id="CVE-2026-2", package="pkg:pypi/jinja2", severity="low"),
        ],
    )  # fmt: skip
    (tmp_path / "cicd-agent-build.json").write_text(json.dumps(result.to_json(), indent=1))
    evidence, why = read_build_report(tmp_path, "cicd-agent-build.json", HEAD)
    assert why == ""
    assert evidence == BuildEvidence(file="cicd-agent-build.json", head=HEAD,
                                     new_critical=("CVE-2026-1",),
                                     new_high=("GHSA-aaaa-bbbb-cccc",),
                                     image_size=120, size_delta=35)  # fmt: skip
