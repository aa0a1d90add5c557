"""SARIF output, validated against the official SARIF 2.1.0 JSON schema (from setup.sh)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from cicd_agent.analysis.finding import Finding
from cicd_agent.modes.review.sarif import FINGERPRINT_KEY, sarif_log, write_sarif
from tests.harness.payloads import REPO_ROOT

SCHEMA = REPO_ROOT / ".harness" / "sarif" / "sarif-2.1.0-rtm.5.json"

FINDINGS = [
    Finding(
        rule="secret",
        severity="critical",
        category="security",
        path="config/my settings.py",
        line=3,
        title="Possible GitHub token committed",
        body="Revoke it.",
    ),
    Finding(
        rule="large-binary",
        severity="medium",
        category="maintainability",
        path="assets/video.mp4",
        title="Large binary file (60.0 MiB)",
        body="Use Git LFS.",
    ),
    Finding(
        rule="model-correctness",
        severity="low",
        category="correctness",
        path="src/a.py",
        line=12,
        start_line=10,
        title="Edge case",
        body="Empty input.",
        source="model",
        confidence=0.6,
    ),
]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    if not SCHEMA.is_file():
        pytest.fail(f"{SCHEMA} is missing: run `bash tests/harness/setup.sh`", pytrace=False)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def test_log_is_valid_sarif_2_1_0(validator: jsonschema.Draft4Validator, tmp_path: Path) -> None:
    path = write_sarif(tmp_path / "out" / "review.sarif", FINDINGS, tmp_path / "checkout")
    document = json.loads(path.read_text(encoding="utf-8"))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_schema_check_catches_a_broken_log(validator: jsonschema.Draft4Validator) -> None:
    document = sarif_log(FINDINGS)
    document["runs"][0]["results"][0]["level"] = "fatal"
    assert not validator.is_valid(document)


def test_what_github_code_scanning_reads() -> None:
    run = sarif_log(FINDINGS)["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {
        "cicd-agent/secret",
        "cicd-agent/large-binary",
        "cicd-agent/model/correctness",
    }
    assert rules["cicd-agent/secret"]["properties"]["security-severity"] == "9.5"
    assert "security-severity" not in rules["cicd-agent/large-binary"]["properties"]
    secret, binary, model = run["results"]
    assert [r["level"] for r in run["results"]] == ["error", "warning", "note"]
    location = secret["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "config/my%20settings.py"
    assert location["region"] == {"startLine": 3}
    assert binary["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert model["locations"][0]["physicalLocation"]["region"] == {"startLine": 10, "endLine": 12}
    assert run["tool"]["driver"]["rules"][secret["ruleIndex"]]["id"] == secret["ruleId"]
    assert len(secret["partialFingerprints"][FINGERPRINT_KEY]) == 32


def test_fingerprint_survives_a_line_shift() -> None:
    moved = replace(FINDINGS[0], line=40)
    assert moved.fingerprint == FINDINGS[0].fingerprint


def test_a_link_the_pull_request_plants_on_the_sarif_path_is_not_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base's settings say `sarif-file: reports/review.sarif`, a path in the checkout the
    step runs in; the pull request commits `reports` as a link to a folder outside. The
    SARIF file must not land there (nor replace a file there): the run stops with one line."""
    import io
    import os

    from cicd_agent.cli import main
    from tests.git_builder import GitRepoBuilder

    outside = tmp_path / "outside"
    outside.mkdir()
    repo = GitRepoBuilder(tmp_path / "project")
    settings = "review:\n  sarif-file: reports/review.sarif\n"
    base = repo.commit("Base", {"app.py": "A = 1\n", ".github/cicd-agent.yml": settings})
    os.symlink(outside, repo.path / "reports")
    head = repo.commit("Plant a link", {"app.py": "A = 2\n"})
    monkeypatch.chdir(repo.path)  # the action's working directory is the checkout
    stderr = io.StringIO()
    argv = ["review", "--repo", str(repo.path), "--base", base, "--head", head,
            "--provider", "none", "--dry-run"]  # fmt: skip
    code = main(argv, {"PATH": os.environ["PATH"], "RUNNER_TEMP": str(tmp_path)},
                io.StringIO(), stderr)  # fmt: skip
    assert list(outside.iterdir()) == []
    assert code == 2
    assert "reports/review.sarif" in stderr.getvalue()
    assert "symbolic link" in stderr.getvalue()
