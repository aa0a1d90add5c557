"""deploy-gate through the CLI on real git repositories: outputs, summary, audit, fail-on,
event defaults, failing closed, and the Slack notification against a local HTTP server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from cicd_agent.actions.rendered import live_on_github
from tests.git_builder import GitRepoBuilder, fast_import_commit
from tests.harness.payloads import example, write_event
from tests.helpers.cli import run_cli

OUTPUTS = (
    "risk_level", "risk_score", "recommendation", "strategy", "canary_percentage",
    "requires_approval", "safety_score", "test_scope", "test_paths", "build_strategy",
    "change_types", "reasons", "missing_signals", "audit_file", "tokens_used", "cost_usd",
)  # fmt: skip
WEEKDAY_NOON = "2026-11-18T12:00:00+00:00"
SOURCE = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(20))


@pytest.fixture
def project(tmp_path: Path) -> GitRepoBuilder:
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit(
        "Initial project",
        {
            "src/shop/orders.py": SOURCE,
            "src/shop/users.py": SOURCE,
            "tests/test_orders.py": "def test_orders():\n    assert True\n",
            "README.md": "# shop\n",
            "poetry.lock": "[[package]]\nname = 'requests'\nversion = '2.31.0'\n",
            ".github/workflows/ci.yml": "on: push\njobs: {}\n",
        },
    )
    return repo


def run(
    tmp_path: Path,
    repo: GitRepoBuilder,
    *args: str,
    environ: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str, dict[str, Any] | None]:
    argv = ["deploy-gate", "--provider", "none", "--repo", str(repo.path), *args]
    if "--deploy-time" not in args:
        argv += ["--deploy-time", WEEKDAY_NOON]
    # Off a runner (no RUNNER_TEMP) unless the test says otherwise: no audit file unless asked.
    done = run_cli(argv, tmp_path, {"RUNNER_TEMP": "", **(environ or {})})
    return done.code, done.outputs, done.summary, done.document


def test_docs_only_change_has_nothing_to_roll_out_and_skips_tests(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    base = project.head()
    head = project.commit(
        "Explain the shop", {"README.md": "# shop\n\nHow to run it.\n", "docs/run.md": "Run it.\n"}
    )
    code, outputs, summary, document = run(
        tmp_path, project, "--base", base, "--head", head, "--json"
    )
    assert code == 0
    assert set(OUTPUTS) <= set(outputs)
    # Empty outputs are left out of --json: off a runner no audit file is kept unless asked.
    assert document is not None and set(OUTPUTS) - {"safety_score", "audit_file"} <= set(document)
    assert outputs["risk_level"] == "low"
    assert outputs["recommendation"] == "proceed"
    assert outputs["strategy"] == "none"  # nothing deploys
    assert outputs["test_scope"] == "none"
    assert json.loads(outputs["change_types"]) == ["docs"]
    assert outputs["safety_score"] == ""
    assert json.loads(outputs["missing_signals"]) == [
        "tests",
        "coverage",
        "review",
        "failure_rate",
        "model",
    ]
    # The decision comes first, then the signals table, then the reasons.
    assert (
        summary.index("Proceed with nothing to roll out")
        < summary.index("**CI signals**")
        < summary.index("**Reasons**")
    )


def test_migration_with_lockfile_bump_needs_approval_and_a_full_build(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    base = project.head()
    head = project.commit(
        "Add order status column",
        {
            "src/shop/migrations/0002_order_status.py": "operations = ['AddField order.status']\n",
            "poetry.lock": "[[package]]\nname = 'requests'\nversion = '2.32.3'\n",
        },
    )
    code, outputs, summary, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert code == 0
    assert outputs["requires_approval"] == "true"
    assert outputs["strategy"] == "blue_green"
    assert outputs["build_strategy"] == "full"
    assert outputs["risk_level"] != "low"
    assert {"migration", "lockfile"} <= set(json.loads(outputs["change_types"]))
    assert "a migration change needs a human approval" in summary
    reasons = json.loads(outputs["reasons"])
    assert any("src/shop/migrations/0002_order_status.py" in r["evidence"] for r in reasons)


def test_an_additive_django_migration_alone_is_high_risk_and_needs_approval(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    base = project.head()
    head = project.commit(
        "Add order status", {"src/shop/migrations/0002_order_status.py": "operations = []\n"}
    )
    _, outputs, summary, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert outputs["risk_level"] in ("high", "critical")
    assert outputs["requires_approval"] == "true"
    assert "schema migration" in summary


def test_a_lockfile_bump_alone_is_medium_with_a_full_build(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    base = project.head()
    head = project.commit(
        "Bump requests", {"poetry.lock": "[[package]]\nname = 'requests'\nversion = '2.32.3'\n"}
    )
    _, outputs, summary, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert outputs["risk_level"] == "medium"
    assert outputs["build_strategy"] == "full"
    assert outputs["strategy"] != "direct"
    assert "dependency" in summary and "full build" in summary


def test_destructive_migration_is_high_risk(tmp_path: Path, project: GitRepoBuilder) -> None:
    base = project.head()
    head = project.commit(
        "Drop legacy table", {"db/migration/V7__drop_legacy.sql": "DROP TABLE legacy_orders;\n"}
    )
    _, outputs, _, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert outputs["risk_level"] in ("high", "critical")
    reasons = json.loads(outputs["reasons"])
    destructive = next(r for r in reasons if r["signal"] == "destructive_migration")
    assert "DROP TABLE legacy_orders;" in destructive["evidence"][0]


def test_workflow_edit_is_ci_and_runs_the_full_suite(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    base = project.head()
    head = project.commit(
        "Cache pip", {".github/workflows/ci.yml": "on: [push, pull_request]\njobs: {}\n"}
    )
    _, outputs, _, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert json.loads(outputs["change_types"]) == ["ci"]
    assert outputs["test_scope"] == "full"
    assert outputs["strategy"] == "none"  # a workflow deploys nothing


def test_source_change_targets_its_tests(tmp_path: Path, project: GitRepoBuilder) -> None:
    base = project.commit("Misc tests", {"tests/test_misc.py": "def test_misc():\n    pass\n"})
    head = project.commit("Speed up orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})
    _, outputs, _, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert outputs["test_scope"] == "targeted"
    assert json.loads(outputs["test_paths"]) == ["tests/test_orders.py"]
    assert outputs["build_strategy"] == "cached"
    users_only = project.commit("Touch users", {"src/shop/users.py": SOURCE + "X = 1\n"})
    _, outputs, _, _ = run(tmp_path, project, "--base", head, "--head", users_only)
    assert outputs["test_scope"] == "full"


JUNIT_FAILING = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3" failures="1" errors="0" skipped="0">
<testcase classname="t" name="a"/><testcase classname="t" name="b"/>
<testcase classname="t" name="c"><failure message="boom">assert 1 == 2</failure></testcase>
</testsuite></testsuites>
"""


def test_failing_tests_hold_and_fail_on_hold_exits_1(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    base = project.head()
    head = project.commit("Speed up orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "junit.xml").write_text(JUNIT_FAILING)
    audit = tmp_path / "audit.jsonl"
    code, outputs, summary, _ = run(
        tmp_path,
        project,
        "--base",
        base,
        "--head",
        head,
        "--fail-on",
        "hold",
        "--junit",
        str(tmp_path / "reports" / "*.xml"),
        "--audit-file",
        str(audit),
    )
    assert code == 1
    assert outputs["recommendation"] == "hold"
    assert "1 test(s) failed" in summary
    assert summary.split("\n\n")[1].startswith(
        "**fail-on hold was met, so this step fails with exit 1:** the deploy is held: "
    ), summary
    assert "missing_signals" in outputs and "tests" not in json.loads(outputs["missing_signals"])
    record = json.loads(audit.read_text().splitlines()[-1])
    assert record["verdict"]["recommendation"] == "hold"
    assert record["inputs_digest"].startswith("sha256:")
    assert str(tmp_path / "reports" / "junit.xml") in record["inputs"]["reports"]


def test_a_relative_junit_path_is_the_working_folders_and_one_that_misses_is_an_error(
    tmp_path: Path, project: GitRepoBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--junit semver-junit.xml`` beside the user, ``--repo`` elsewhere: the path was read
    under ``--repo``, matched nothing, and the gate proceeded past five failing tests (a
    "missing" signal under ``fail-on hold``)."""
    base = project.head()
    head = project.commit("Speed up orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})
    (tmp_path / "junit.xml").write_text(JUNIT_FAILING)
    monkeypatch.chdir(tmp_path)
    code, outputs, _, _ = run(
        tmp_path, project, "--base", base, "--head", head, "--fail-on", "hold", "--junit", "junit.xml"
    )
    assert (code, outputs["recommendation"]) == (1, "hold")
    done = run_cli(
        ["deploy-gate", "--provider", "none", "--repo", str(project.path), "--base", base,
         "--head", head, "--fail-on", "hold", "--junit", "junit-typo.xml"], tmp_path,
    )  # fmt: skip
    assert done.code == 2, done.stderr
    (line,) = [said for said in done.stdout.splitlines() if "junit-typo.xml" in said]
    assert f"matched no file (looked in {tmp_path})" in line and "relative to the folder" in line


def test_freeze_window_holds_and_weekend_needs_approval_for_high_risk(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    base = project.head()
    head = project.commit(
        "Change auth", {"src/shop/auth/login.py": SOURCE, "Dockerfile": "FROM python:3.12\n"}
    )
    _, outputs, summary, _ = run(
        tmp_path,
        project,
        "--base",
        base,
        "--head",
        head,
        "--freeze-windows",
        "2026-11-16/2026-11-20",
        "--timezone",
        "Europe/Berlin",
    )
    assert outputs["recommendation"] == "hold"
    assert "inside the freeze window 2026-11-16/2026-11-20" in summary
    _, outputs, summary, _ = run(
        tmp_path,
        project,
        "--base",
        base,
        "--head",
        head,
        "--policy",
        '{"off_hours_approval_from": "medium"}',
        "--deploy-time",
        "2026-11-21T23:30:00+00:00",
    )
    assert outputs["recommendation"] == "proceed"
    assert outputs["requires_approval"] == "true"
    assert "on a weekend" in summary


def test_unknown_base_fails_closed(tmp_path: Path, project: GitRepoBuilder) -> None:
    code, outputs, summary, _ = run(
        tmp_path, project, "--base", "1" * 40, "--head", project.head(),
        environ={"RUNNER_TEMP": str(tmp_path / "runner-temp")},
    )  # fmt: skip
    assert code == 2
    assert outputs["recommendation"] == "hold"
    assert "fetch-depth: 0" in outputs["error"] + summary
    assert Path(outputs["audit_file"]).read_text().count('"finished": false') == 1


def test_a_bad_option_is_reported_before_git_is_read(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    code, outputs, _, _ = run(tmp_path, project, "--base", "1" * 40, "--approval-confidence", "7")
    assert code == 2
    assert "approval-confidence must be between 0 and 1" in outputs["error"]


def test_invalid_policy_is_a_usage_error(tmp_path: Path, project: GitRepoBuilder) -> None:
    code, outputs, _, _ = run(tmp_path, project, "--policy", '{"stratgy": {}}')
    assert code == 2
    assert "stratgy" in outputs["error"]
    assert outputs["recommendation"] == "hold"


def test_a_fail_on_the_deploy_phase_cannot_produce_is_a_usage_error(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    code, outputs, _, _ = run(tmp_path, project, "--fail-on", "rollback")
    assert code == 2  # was accepted and did nothing: the gate looked armed but never fired
    assert "fail-on 'rollback' is not valid for deploy-gate --phase deploy" in outputs["error"]
    assert outputs["recommendation"] == "hold"


def test_push_event_that_created_the_branch_judges_the_head(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    head = project.commit("Speed up orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})
    payload = dict(example("push"))
    payload.update(before="0" * 40, after=head, ref="refs/heads/feature", created=True)
    event = write_event(tmp_path, payload)
    _, outputs, summary, _ = run(tmp_path, project, "--event", str(event), "--event-name", "push")
    assert json.loads(outputs["change_types"]) == ["source"]
    assert "created the branch" in summary


def test_the_audit_file_is_written_only_where_asked_or_in_runner_temp(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    """Nothing goes into the user's repository (not even under ``.git``) nor the temporary
    folder unless asked: off a runner the audit is kept only where ``--audit-file`` says."""
    code, outputs, summary, _ = run(tmp_path, project)
    assert code == 0 and not outputs.get("audit_file")
    assert not (project.path / ".git" / "cicd-agent").exists()
    assert project.git("status", "--porcelain") == ""
    assert "--audit-file" in summary
    asked = tmp_path / "kept" / "audit.jsonl"
    run(tmp_path, project, "--audit-file", str(asked))
    run(tmp_path, project, "--audit-file", str(asked))
    assert len(asked.read_text().splitlines()) == 2
    on_runner = tmp_path / "runner-temp"
    _, outputs, _, _ = run(tmp_path, project, environ={"RUNNER_TEMP": str(on_runner)})
    assert Path(outputs["audit_file"]).is_relative_to(on_runner)


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: ClassVar[list[dict[str, Any]]] = []
    handler = type("Hook", (_Hook,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secretpart", received
    server.shutdown()
    server.server_close()


def test_slack_gets_one_message_for_a_hold_and_none_for_a_plain_proceed(
    tmp_path: Path, project: GitRepoBuilder, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    base = project.head()
    head = project.commit("Docs", {"docs/a.md": "a\n"})
    run(tmp_path, project, "--base", base, "--head", head, "--slack-webhook-url", url)
    assert received == []
    run(
        tmp_path,
        project,
        "--base",
        base,
        "--head",
        head,
        "--slack-webhook-url",
        url,
        "--policy",
        '{"hold_levels": ["low"]}',
    )
    assert len(received) == 1
    assert "Hold" in received[0]["text"] and head[:12] in received[0]["text"]
    assert "secretpart" not in received[0]["text"]


def test_unreachable_webhook_is_a_note_not_a_failure(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    code, _, summary, _ = run(
        tmp_path,
        project,
        "--slack-webhook-url",
        "http://127.0.0.1:9/hook",
        "--policy",
        '{"hold_levels": ["low", "medium", "high", "critical"]}',
    )
    assert code == 0
    assert "Slack message could not be sent" in summary


def test_console_script_prints_one_json_object(tmp_path: Path, project: GitRepoBuilder) -> None:
    base = project.head()
    head = project.commit("Speed up orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})
    script = Path(sys.executable).with_name("cicd-agent")
    done = subprocess.run(
        [
            str(script),
            "deploy-gate",
            "--provider",
            "none",
            "--repo",
            str(project.path),
            "--base",
            base,
            "--head",
            head,
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    # Numbers are JSON numbers; an empty value is absent (no signal, no safety score).
    assert set(OUTPUTS) - {"safety_score", "audit_file"} <= set(document)
    assert "safety_score" not in document and "" not in document.values()
    assert isinstance(document["risk_score"], float) and 0 <= document["risk_score"] <= 1
    assert isinstance(document["canary_percentage"], int)
    assert isinstance(document["cost_usd"], float) and document["tokens_used"] == 0
    assert document["head"] == head and document["base"] == base


@pytest.mark.slow
def test_five_thousand_file_commit_is_judged_whole(tmp_path: Path, project: GitRepoBuilder) -> None:
    base = project.head()
    files = {f"src/gen{i % 97}/module_{i}.py": f"VALUE = {i}\n" for i in range(5000)}
    head = fast_import_commit(project, files, "Vendor the generated client")
    code, outputs, summary, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert code == 0
    assert "5,000 file(s)" in summary
    assert outputs["risk_level"] in ("high", "critical")
    size = next(r for r in json.loads(outputs["reasons"]) if r["signal"] == "size")
    assert size["message"].startswith("5,000 lines changed")


def test_the_risk_is_the_one_assess_range_gives(tmp_path: Path, project: GitRepoBuilder) -> None:
    """deploy-gate scores with the priors research measures against (``assess_range``), as
    review does: one risk, no copy."""
    from datetime import UTC, datetime

    from bench.risk_replay import assess_range

    from cicd_agent.local.gitrepo import GitRepo

    base = project.head()
    head = project.commit(
        "Migrate and ship a binary",
        {
            "migrations/0002_drop.sql": "DROP TABLE orders;\n",
            "migrations/0003_seed.bin": bytes(range(256)) * 64,
            "src/shop/orders.py": SOURCE + "CACHE = {}\n",
        },
    )
    # assess_range replays the gate as the commit landed: the same moment, given as the run's
    when = GitRepo.open(project.path).commit_time(head)
    moment = datetime.fromtimestamp(when, tz=UTC).isoformat()
    code, _, _, document = run(
        tmp_path, project, "--base", base, "--head", head, "--json", "--deploy-time", moment
    )
    _, _, expected = assess_range(project.path, head, base)
    assert code == 0 and document is not None
    assert document["deterministic_level"] == expected.risk_level.value
    assert document["change_types"] == [kind.value for kind in expected.change_types]
    assert document["features"] == expected.features.to_json()
    messages = {r["message"] for r in document["reasons"]}
    assert {r.message for r in expected.reasons} <= messages


PWN_WORKFLOW = """\
on: pull_request_target
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1
        with:
          persist-credentials: false
          ref: ${{ github.event.pull_request.head.sha }}
      - run: make test
"""


def test_added_token_and_pwn_request_workflow_hold_the_deployment(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    """The probe's change got "proceed" and a 10 % canary."""
    base = project.head()
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    head = project.commit(
        "Tidy settings",
        {
            "src/shop/settings.py": f'API_TOKEN = "{token}"\n',
            ".github/workflows/preview.yml": PWN_WORKFLOW,
        },
    )
    code, outputs, summary, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert code == 0
    assert outputs["recommendation"] == "hold"
    assert outputs["risk_level"] == "critical"
    reasons = json.loads(outputs["reasons"])
    found = next(r for r in reasons if r["signal"] == "security_findings")
    evidence = " ".join(found["evidence"])
    assert "src/shop/settings.py:1" in evidence
    assert ".github/workflows/preview.yml:10" in evidence and "pull_request_target" in evidence
    assert "secret(s) added (`src/shop/settings.py:1`)" in summary
    assert token not in summary and token not in json.dumps(outputs)


def test_unpinned_action_alone_does_not_raise_the_deployment_risk(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    base = project.head()
    workflow = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
    workflow += "    steps:\n      - uses: actions/setup-python@v5\n"
    head = project.commit("CI: set up Python", {".github/workflows/ci.yml": workflow})
    code, outputs, _, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert code == 0
    reasons = json.loads(outputs["reasons"])
    assert not any(r["signal"] == "security_findings" for r in reasons)


# ------------------------------------------------- Attacks: Markdown in a routing reason's path
# Red team (Markdown injection): deploy-gate's routing reasons name a changed file ("no test
# found for PATH"), and the summary's table showed the path raw: a pull request's file named
# ``@octo-org/admins <img src=…> [l](…).py`` rendered a team mention, an image and a link.


HOSTILE = "@octo-org/admins <img src=https:evil.example> [l](https:evil.example) | x.py"


def test_a_changed_files_name_in_the_routing_reasons_is_shown_as_text(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": "VALUE = 1\n"})
    head = repo.commit("Change", {HOSTILE: "VALUE = 2\n"})
    done = run_cli(
        ["deploy-gate", "--repo", str(repo.path), "--base", base, "--head", head,
         "--provider", "none", "--cache-dir", str(tmp_path / "cache")],
        tmp_path, {},
    )  # fmt: skip
    assert done.code == 0, done.stderr
    row = next(line for line in done.summary.splitlines() if line.startswith("| tests to run"))
    assert "octo-org" in row  # the reason names the file
    table = "| | |\n|---|---|\n" + row
    assert live_on_github(table) == []  # the name is a code span: no mention, image or link
    assert len(row.replace("\\|", "").split("|")) == 4, row  # two cells, however named


def test_a_test_that_imports_the_changed_package_is_its_test(tmp_path: Path) -> None:
    """cachetools' layout and its tests' own imports (tkem/cachetools 5.5.0): no test is named
    after ``__init__.py``, but a test doing ``import cachetools`` or ``from cachetools import
    LRUCache`` tests the package, and ``import cachetools.keys`` imports it too."""
    repo = GitRepoBuilder(tmp_path / "cachetools")
    imports = {
        "tests/__init__.py": "import unittest\n",
        "tests/test_cache.py": "import unittest\n\nimport cachetools\n\nfrom . import Mixin\n",
        "tests/test_lru.py": "import unittest\n\nfrom cachetools import LRUCache\n",
        "tests/test_keys.py": "import unittest\n\nimport cachetools.keys\n",
        "tests/test_func.py": "import math\nimport unittest\n\nimport cachetools.func\n",
        "tests/test_math.py": "import math\n",
    }  # fmt: skip
    repo.commit("cachetools", {"src/cachetools/__init__.py": SOURCE,
                               "src/cachetools/keys.py": SOURCE, **imports})  # fmt: skip
    base = repo.head()
    head = repo.commit("Cache: count sizes", {"src/cachetools/__init__.py": SOURCE + "X = 1\n"})
    _, outputs, summary, _ = run(tmp_path, repo, "--base", base, "--head", head)
    assert outputs["test_scope"] == "targeted", summary
    assert json.loads(outputs["test_paths"]) == [
        "tests/test_cache.py", "tests/test_func.py", "tests/test_keys.py", "tests/test_lru.py"
    ]  # fmt: skip
    assert "no test found" not in summary


def test_a_change_that_does_not_parse_is_held_at_critical_and_a_typo_fix_is_not(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    """The gate proceeded on a Python file that does not parse, with no CI signal at all. It
    parses the changed files as review does: a file that parsed at the base and no longer
    does holds the deploy at critical risk, its file and line the evidence (as a failing
    test report holds it); a fix of a typo in a comment stays low and proceeds."""
    base = project.head()
    typo = project.commit("Fix a typo", {"src/shop/orders.py": "# Orders.\n" + SOURCE})
    _, outputs, _, _ = run(tmp_path, project, "--base", base, "--head", typo)
    assert (outputs["risk_level"], outputs["recommendation"]) == ("low", "proceed"), outputs
    broken = project.commit("Speed up", {"src/shop/orders.py": SOURCE.replace("def f3(x):", "def f3(x)")})
    code, outputs, summary, _ = run(tmp_path, project, "--base", typo, "--head", broken,
                                    "--fail-on", "hold")  # fmt: skip
    assert (code, outputs["risk_level"], outputs["recommendation"]) == (1, "critical", "hold")
    reasons = json.loads(outputs["reasons"])
    unparsed = next(r for r in reasons if r["signal"] == "syntax")
    assert unparsed["evidence"][0].startswith("src/shop/orders.py:10: "), unparsed
    assert "does not parse" in summary


def test_a_hold_with_no_fail_on_says_the_step_stays_green_and_names_the_setting(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    """A gate that holds exits 0 unless ``fail-on`` says otherwise: its summary's first line
    says nothing fails the step and which setting makes a hold fail it."""
    base = project.head()
    head = project.commit("Speed up orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})
    (tmp_path / "junit.xml").write_text(JUNIT_FAILING)
    code, outputs, summary, _ = run(
        tmp_path, project, "--base", base, "--head", head, "--junit", str(tmp_path / "junit.xml")
    )
    assert (code, outputs["recommendation"]) == (0, "hold")
    assert summary.split("\n\n")[1].startswith(
        "**Nothing fails this step: fail-on is not set.** `--fail-on hold` (the action's "
        "`fail-on` input) makes it exit 1 here: the deploy is held: "
    ), summary
