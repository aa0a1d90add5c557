"""OpenVEX applied to matched vulnerabilities, the new ones as SARIF 2.1.0 (validated against
the official schema from tests/harness/setup.sh)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from cicd_agent.analysis.severity import Severity
from cicd_agent.modes.build.osv import load_db
from cicd_agent.modes.build.packages import Package
from cicd_agent.modes.build.sarif import FINGERPRINT_KEY, sarif_log
from cicd_agent.modes.build.vex import VexError, apply_vex
from cicd_agent.modes.build.vulns import Vulnerability, match
from tests.harness.payloads import REPO_ROOT

ADVISORIES = Path(__file__).parent / "advisories"
SARIF_SCHEMA = REPO_ROOT / ".harness" / "sarif" / "sarif-2.1.0-rtm.5.json"


def found() -> list[Vulnerability]:
    packages = [
        Package("pkg:pypi/requests@2.28.0", "requests", "2.28.0", "PyPI", "requests", "x", 3),
        Package("pkg:npm/ansi-html@0.0.7", "ansi-html", "0.0.7", "npm", "ansi-html", "y", 5),
    ]
    return match(packages, load_db(ADVISORIES))


def vex(*statements: dict[str, object], timestamp: str = "2024-01-01T00:00:00Z") -> bytes:
    return json.dumps(
        {
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.com/vex-1",
            "author": "a team",
            "timestamp": timestamp,
            "version": 1,
            "statements": list(statements),
        }
    ).encode()


def test_not_affected_and_fixed_suppress_affected_keeps() -> None:
    document = vex(
        {
            "vulnerability": {"name": "CVE-2023-32681"},
            "products": [{"@id": "pkg:pypi/requests"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
        },
        {
            "vulnerability": {"name": "GHSA-whgm-jr23-g3j9"},
            "products": [{"@id": "pkg:npm/ansi-html@0.0.7"}],
            "status": "affected",
        },
    )

    result = apply_vex(found(), document)

    assert [v.id for v in result.kept] == ["GHSA-whgm-jr23-g3j9"]
    (suppressed,) = result.suppressed
    assert (suppressed.vulnerability.id, suppressed.status, suppressed.justification) == (
        "GHSA-j8r2-6x86-q33q",
        "not_affected",
        "vulnerable_code_not_in_execute_path",
    )


def test_a_statement_about_another_version_or_package_suppresses_nothing() -> None:
    document = vex(
        {
            "vulnerability": {"name": "CVE-2023-32681"},
            "products": [{"@id": "pkg:pypi/requests@2.31.0"}],
            "status": "not_affected",
        },
        {"vulnerability": "CVE-2021-23424", "products": ["pkg:npm/ansi-htm"], "status": "fixed"},
    )

    assert len(apply_vex(found(), document).kept) == 2


def test_the_latest_statement_decides_and_the_image_with_subcomponents_is_read() -> None:
    image = {"@id": "pkg:oci/app", "subcomponents": [{"@id": "pkg:npm/ansi-html"}]}
    document = vex(
        {
            "vulnerability": {"name": "X", "aliases": ["CVE-2021-23424"]},
            "products": [image],
            "status": "under_investigation",
            "timestamp": "2024-03-01T00:00:00Z",
        },
        {
            "vulnerability": {"name": "CVE-2021-23424"},
            "products": [image],
            "status": "not_affected",
            "timestamp": "2024-02-01T00:00:00+00:00",
        },
    )

    assert [v.id for v in apply_vex(found(), document).kept] == [
        "GHSA-whgm-jr23-g3j9",
        "GHSA-j8r2-6x86-q33q",
    ]  # by package: npm's, then PyPI's


def test_a_statement_about_the_image_covers_its_packages() -> None:
    document = vex({"vulnerability": {"name": "CVE-2021-23424"},
                    "products": [{"@id": "pkg:oci/app?repository_url=ghcr.io/o/app"}],
                    "status": "not_affected"})  # fmt: skip

    assert [v.id for v in apply_vex(found(), document).kept] == ["GHSA-j8r2-6x86-q33q"]


@pytest.mark.parametrize("document", [b"", b"[]", b'{"statements": 3}', b"\xff{"])
def test_a_file_that_is_not_openvex_is_one_clear_error(document: bytes) -> None:
    with pytest.raises(VexError, match=r"^the VEX file is not"):
        apply_vex(found(), document)


def test_sarif_of_new_vulnerabilities_is_valid_and_placed_on_the_line() -> None:
    if not SARIF_SCHEMA.is_file():
        pytest.fail(f"{SARIF_SCHEMA} is missing: run `bash tests/harness/setup.sh`", pytrace=False)
    validator = jsonschema.Draft4Validator(
        json.loads(SARIF_SCHEMA.read_text("utf-8")), format_checker=jsonschema.FormatChecker()
    )
    vulns = found()
    unrated = Vulnerability(
        "DLA-1-1", (), "pkg:deb/debian/a@1", "a", "Debian:9", "1", None, None, "", -1
    )

    log = sarif_log([*vulns, unrated], "docker/My Dockerfile", {3: 12, 5: 20})

    validator.validate(log)
    results = log["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [
        20,
        12,
        1,
    ]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "docker/My%20Dockerfile"
    )
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["GHSA-whgm-jr23-g3j9"]["properties"]["security-severity"] == "7.5"
    assert rules["DLA-1-1"]["properties"]["security-severity"] == "0.0"
    assert [r["level"] for r in results] == ["error", "warning", "warning"]


def test_an_upgrade_that_keeps_the_flaw_keeps_the_fingerprint() -> None:
    (old,) = [v for v in found() if v.name == "ansi-html"]
    newer = Vulnerability(
        old.id,
        old.aliases,
        "pkg:npm/ansi-html@0.0.7-1",
        old.name,
        old.ecosystem,
        "0.0.7-1",
        Severity.HIGH,
        7.5,
        "0.0.8",
        9,
    )

    prints = [
        sarif_log([v], "Dockerfile", {})["runs"][0]["results"][0]["partialFingerprints"]
        for v in (old, newer)
    ]

    assert prints[0][FINGERPRINT_KEY] == prints[1][FINGERPRINT_KEY]
