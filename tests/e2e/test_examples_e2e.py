"""Every example workflow, run end to end the way GitHub would run it.

For each example the test builds the event its trigger delivers (a real ``@octokit/webhooks-examples``
payload moved onto a real git repository built here, so every SHA exists) and plays the workflow
on a :class:`~tests.harness.example_stage.Stage`: GitHub's own expression engine decides which
jobs and steps run, each cicd-agent step runs through ``action.yml`` against the validating
GitHub mock (with a token as narrow as the job's ``permissions:``), the local model server and a
real Prometheus. The tests then assert what later jobs read: step outputs, job outputs, which
jobs and steps run, the artifacts they upload, and that no request needed a permission the job
does not grant.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from cicd_agent.modes.gen_tests.ask import ATTEMPTS
from cicd_agent.modes.review.answer import ModelFinding, ReviewAnswer
from tests.fixtures.gentests_project.build import make_repo
from tests.git_builder import GitRepoBuilder
from tests.harness import payloads
from tests.harness.action_runner import ACTION_DIR, ActionRunner
from tests.harness.example_stage import (
    PR_NUMBER,
    PROMETHEUS_TOKEN,
    SECRETS,
    BearerGateway,
    Played,
    Stage,
    checkout,
    merge_checkout,
    pull_request_event,
    push_event,
    rehome,
)
from tests.harness.github_mock import REPO, GitHubApi
from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest
from tests.harness.pinned import action_tree, the_pin
from tests.harness.prometheus_server import PrometheusServer, free_port
from tests.harness.workflows import (
    OtherStep,
    StepRun,
    Workflow,
    all_examples,
    usage_comment,
    workflow_call_outputs,
)
from tests.helpers import kubectl_recorder
from tests.helpers.action import shared_runner
from tests.helpers.buildah import BUSYBOX, needs_buildah
from tests.helpers.gen_tests import path_env
from tests.helpers.toolchains import needs_cargo, needs_go

REPO_API = f"/repos/{REPO}"
Test = TypeVar("Test", bound=Callable[..., None])


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory) -> ActionRunner:
    """The driver for the action the examples pin: that commit's tree from this repository's
    history (installed on its own, as a user's runner would), or the working tree when the pin is
    the commit checked out here."""
    tree = action_tree(the_pin(), tmp_path_factory.mktemp("pinned-action"))
    if tree == ACTION_DIR:
        return shared_runner(tmp_path_factory)
    return ActionRunner(tmp_path_factory.getbasetemp() / "runner-temp-pinned", action_dir=tree)


@pytest.fixture
def stage(
    request: pytest.FixtureRequest,
    runner: ActionRunner,
    github_api: GitHubApi,
    model_server: ModelServer,
    tmp_path: Path,
) -> Iterator[Stage]:
    stage = Stage(runner, github_api, model_server, tmp_path)
    yield stage
    ran = {(p.workflow.path.name, r.step.job_id) for p in stage.plays for r in p.steps}
    missing = set(getattr(request.function, "exercises", ())) - ran
    assert not missing, f"the test declares it runs {sorted(missing)}, but they never ran"


EXERCISED: set[tuple[str, str]] = set()
"""(workflow, job) of every cicd-agent step some test below runs end to end."""


def exercises(*steps: tuple[str, str]) -> Callable[[Test], Test]:
    """Mark a slow end-to-end test and declare the cicd-agent steps it must run (checked at its
    end by the ``stage`` fixture, and against the examples by a fast test)."""

    def mark(test: Test) -> Test:
        EXERCISED.update(steps)
        test.exercises = steps  # type: ignore[attr-defined]
        return pytest.mark.slow(test)

    return mark


# --- pr-review.yml ----------------------------------------------------------------------------

PRICING_TESTS = {
    "bulk_discount": (
        "import pytest\nfrom shop.pricing import bulk_discount\n\n\n"
        "@pytest.mark.parametrize(('quantity', 'total'), "
        "[(1, 10.0), (10, 95.0), (50, 450.0), (100, 850.0)])\n"
        "def test_rates_by_quantity(quantity, total):\n"
        "    assert bulk_discount(quantity, 10.0) == total\n\n\n"
        "def test_negative_quantity_is_rejected():\n"
        "    with pytest.raises(ValueError):\n        bulk_discount(-1, 10.0)\n"
    ),
    "shipping_cost": (
        "from shop.pricing import shipping_cost\n\n\n"
        "def test_light_parcel():\n    assert shipping_cost(1.0) == 4.9\n\n\n"
        "def test_heavy_express_parcel():\n    assert shipping_cost(4.0, express=True) == 15.8\n"
    ),
    "coupon_value": (
        "from shop.pricing import coupon_value\n\n\n"
        "def test_save10_in_any_case():\n    assert coupon_value('save10') == 10\n\n\n"
        "def test_unknown_code():\n    assert coupon_value('FREEBIE') == 0\n"
    ),
}


def generated_test(request: RecordedRequest) -> dict[str, str]:
    """A model that writes a correct test for the function the prompt asks about."""
    user = request.text("user")
    asked = [name for name in PRICING_TESTS if f"def {name}(" in user]
    assert len(asked) == 1, f"expected one target function in the prompt, found {asked}"
    return {"test_module": PRICING_TESTS[asked[0]], "rationale": f"covers {asked[0]}"}


def bulk_discount_only(request: RecordedRequest) -> dict[str, str]:
    """:func:`generated_test` for ``bulk_discount``; for the other functions, a module that does
    not parse (the gate's first stage turns it down, and the model is asked again)."""
    answer = generated_test(request)
    if "def bulk_discount(" not in request.text("user"):
        answer["test_module"] = "def test_(:\n"
    return answer


def review_answer(line: int) -> ReviewAnswer:
    finding = ModelFinding(
        path="src/shop/pricing.py", line=line, start_line=None, severity="high",
        category="correctness", title="Rounding before the discount loses cents",
        body="Round once, after applying the rate.", replacement=None, confidence=0.8,
    )  # fmt: skip
    return ReviewAnswer(summary="Adds bulk pricing.", verdict="request_changes", findings=[finding])


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@exercises(("pr-review.yml", "review"), ("pr-review.yml", "gen-tests"))
def test_pr_review_reviews_gates_uploads_sarif_and_proposes_tests(
    stage: Stage, tmp_path: Path
) -> None:
    source = tmp_path / "shop"
    base, head = make_repo(source)
    workspace, merge = merge_checkout(source, tmp_path / "workspace", base, head)
    line = line_of(workspace / "src/shop/pricing.py", "return round(total * (1 - rate), 2)")
    stage.model.answer(review_answer(line))
    stage.model.answer_with(generated_test, times=len(PRICING_TESTS))

    played = stage.play(
        "pr-review.yml", event_name="pull_request", payload=pull_request_event(base, head),
        workspace=workspace, sha=merge, ref=f"refs/pull/{PR_NUMBER}/merge",
    )  # fmt: skip

    played.assert_least_privilege_suffices()
    # review: the model's high finding meets fail-on: high, so the step fails the job ...
    review = played.step("review").run
    assert review.exit_code == 1, review.log
    assert review.outputs["decision"] == "comment"  # request-changes is off by default
    assert review.outputs["high_count"] == "1"
    assert played.jobs["review"].result == "failure"
    # ... and the SARIF upload still runs (always()) with a real SARIF 2.1.0 file.
    sarif_step = "github/codeql-action/upload-sarif@5d4e8d1aca955e8d8589aabd499c5cae939e33c7"
    assert sarif_step in played.jobs["review"].steps_run
    sarif = Path(played.jobs["review"].rendered[sarif_step]["with.sarif_file"])
    document = json.loads(sarif.read_text())
    assert document["version"] == "2.1.0"
    (result,) = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == line
    # The review went to the pull request, on the finding's line, and the check run failed.
    (posted,) = stage.github.proxy.calls("POST", rf"{REPO_API}/pulls/{PR_NUMBER}/reviews")
    body = posted.json()
    assert body["event"] == "COMMENT" and body["commit_id"] == head
    assert [(c["path"], c["line"]) for c in body["comments"]] == [("src/shop/pricing.py", line)]
    checks = stage.github.proxy.calls("PATCH", rf"{REPO_API}/check-runs/\d+")
    checks += stage.github.proxy.calls("POST", rf"{REPO_API}/check-runs")
    assert any((c.json() or {}).get("conclusion") == "failure" for c in checks)

    # gen-tests: one accepted test per new function, delivered as a patch the upload step takes.
    tests = played.step("gen-tests").run
    assert tests.exit_code == 0, tests.log
    assert played.jobs["gen-tests"].result == "success"
    assert tests.outputs["tests_accepted"] == "3", tests.summary
    assert float(tests.outputs["coverage_after"]) > float(tests.outputs["coverage_before"])
    upload = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02"
    assert upload in played.jobs["gen-tests"].steps_run
    patch = Path(played.jobs["gen-tests"].rendered[upload]["with.path"])
    assert "def test_rates_by_quantity" in patch.read_text()
    applied = subprocess.run(
        ["git", "-C", str(workspace), "apply", "--check", str(patch)],
        capture_output=True,
        text=True,
    )
    assert applied.returncode == 0, applied.stderr
    assert stage.model.pending == 0


@exercises(("pr-review.yml", "review"), ("pr-review.yml", "gen-tests"))
def test_pr_review_gates_a_merge_queue_group_on_its_commit(stage: Stage, tmp_path: Path) -> None:
    """In a merge queue (a real merge_group payload on the group GitHub made of the base and
    the queued pull request), offline: review judges the queue's range and its gate is the
    check run on the group's commit, with no review posted (there is no pull request);
    gen-tests measures the same range. Before: the example did not run on merge_group, and
    gen-tests exited 2 there ("needs the change to cover")."""
    source = tmp_path / "shop"
    base, head = make_repo(source)
    workspace, group = merge_checkout(source, tmp_path / "workspace", base, head)
    payload = rehome(payloads.example("merge_group"))
    queue = f"refs/heads/gh-readonly-queue/main/pr-{PR_NUMBER}-{head}"
    payload["merge_group"].update(base_sha=base, head_sha=group, head_ref=queue,
                                  base_ref="refs/heads/main")  # fmt: skip

    played = stage.play(
        "pr-review.yml", event_name="merge_group", payload=payload, workspace=workspace,
        sha=group, ref=queue, secrets={"OPENAI_API_KEY": ""},
    )  # fmt: skip

    played.assert_least_privilege_suffices()
    review = played.step("review").run
    assert review.exit_code in (0, 1), review.log
    assert stage.github.proxy.calls("POST", rf"{REPO_API}/pulls/\d+/reviews") == []
    (created,) = stage.github.proxy.calls("POST", rf"{REPO_API}/check-runs")
    assert created.json()["head_sha"] == group
    concluded = stage.github.proxy.calls("PATCH", rf"{REPO_API}/check-runs/\d+")
    wanted = "failure" if review.exit_code else "success"
    assert [c.json().get("conclusion") for c in concluded][-1] == wanted
    tests = played.step("gen-tests").run
    assert tests.exit_code == 0, tests.log
    assert played.jobs["gen-tests"].result == "success"
    # the queue's change: the three new pricing functions, uncovered, and no model to write tests
    assert float(tests.outputs["coverage_before"]) < 100 and tests.outputs["tests_generated"] == "0"
    assert "in 3 segment(s) are not covered" in tests.summary, tests.summary
    assert "no model is configured" in tests.summary


@exercises()
def test_pr_review_skips_draft_pull_requests(stage: Stage, tmp_path: Path) -> None:
    payload = pull_request_event("0" * 40, "1" * 40)
    payload["pull_request"]["draft"] = True
    played = stage.play(
        "pr-review.yml", event_name="pull_request", payload=payload, workspace=tmp_path,
        sha="1" * 40, ref=f"refs/pull/{PR_NUMBER}/merge",
    )  # fmt: skip
    assert played.ran() == set() and played.steps == []


# --- fork-safe-review.yml and fork-safe-publish.yml ------------------------------------------

FORK = "forker/Hello-World"


def fork_pull_request_event(base: str, head: str) -> dict[str, Any]:
    """A pull request from a fork: its head lives in another repository."""
    payload = pull_request_event(base, head)
    head_side = payload["pull_request"]["head"]
    head_side.update(label="forker:feature/pricing", ref="feature/pricing")
    head_side["repo"] = {**head_side["repo"], "full_name": FORK, "fork": True,
                         "owner": {**head_side["repo"]["owner"], "login": "forker"}}  # fmt: skip
    return payload


def review_finished_event(base: str, head: str) -> dict[str, Any]:
    """The ``workflow_run`` that GitHub sends when step 1 finished on a fork's pull request."""
    payload = rehome(payloads.example("workflow_run", "completed"))
    run = payload["workflow_run"]
    run.update(name="cicd-agent fork-safe review", event="pull_request", status="completed",
               conclusion="success", head_sha=head, head_branch="feature/pricing",
               pull_requests=[])  # fmt: skip  # GitHub lists none for a fork's pull request
    run["head_repository"] = {**run["head_repository"], "full_name": FORK,
                              "owner": {**run["head_repository"]["owner"], "login": "forker"}}  # fmt: skip
    return payload


def github_holds_fork_pull(stage: Stage, repo: Path, base: str, head: str) -> None:
    """GitHub's view of the fork's open pull request #2: its head, base and changed files."""

    def pulls(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        pull = listing[0]
        head_side = {**pull["head"], "sha": head, "ref": "feature/pricing",
                     "label": "forker:feature/pricing",
                     "repo": {**pull["head"]["repo"], "full_name": FORK}}  # fmt: skip
        base_side = {**pull["base"], "sha": base, "ref": "main",
                     "repo": {**pull["base"]["repo"], "full_name": REPO}}  # fmt: skip
        return [
            {**pull, "number": PR_NUMBER, "state": "open", "head": head_side, "base": base_side}
        ]

    def files(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = _git(repo, "diff", "--name-only", base, head).split()
        made = []
        for name in names:
            patch = _git(repo, "diff", base, head, "--", name)
            hunks = patch[patch.index("@@") :]
            added = sum(1 for line in hunks.splitlines() if line.startswith("+"))
            made.append({**listing[0], "filename": name, "status": "modified", "patch": hunks,
                         "additions": added, "deletions": 0, "changes": added})  # fmt: skip
        return made

    stage.github.proxy.script("GET", rf"{REPO_API}/pulls", edit=pulls)
    stage.github.proxy.script("GET", rf"{REPO_API}/pulls/{PR_NUMBER}/files", edit=files)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@exercises(("fork-safe-review.yml", "analyse"), ("fork-safe-publish.yml", "publish"))
def test_fork_safe_pair_reviews_without_secrets_and_publishes_from_the_artifact(
    stage: Stage, tmp_path: Path
) -> None:
    source = tmp_path / "shop"
    base, head = make_repo(source)
    # The fork's pull request also leaves a debugger call in: a deterministic finding.
    pricing = source / "src/shop/pricing.py"
    pricing.write_text(pricing.read_text() + "\nbreakpoint()\n")
    debug_line = len(pricing.read_text().splitlines())
    _git(source, "-c", "user.name=Forker", "-c", "user.email=forker@example.com",
         "commit", "-qam", "pricing: debug the coupons")  # fmt: skip
    head = _git(source, "rev-parse", "HEAD").strip()
    workspace, merge = merge_checkout(source, tmp_path / "workspace", base, head)

    # Step 1, on pull_request: read-only token, no secrets, no model, nothing written.
    review = stage.play(
        "fork-safe-review.yml", event_name="pull_request",
        payload=fork_pull_request_event(base, head), workspace=workspace, sha=merge,
        ref=f"refs/pull/{PR_NUMBER}/merge", secrets={},
    )  # fmt: skip
    run = review.step("analyse").run
    assert run.exit_code == 0, run.log
    assert not [r for r in review.step("analyse").requests if r[0] != "GET"]
    assert stage.model.requests == []
    handed = json.loads(stage.artifacts["cicd-agent-review"].read_text())
    assert handed["head_sha"] == head and handed["pull_request"] == PR_NUMBER
    assert ("debugger", debug_line) in [(f["rule"], f["line"]) for f in handed["findings"]]
    review.assert_least_privilege_suffices()

    # Step 2, on workflow_run: a write token, no checkout; the artifact is checked, then posted.
    github_holds_fork_pull(stage, source, base, head)
    (tmp_path / "empty-workspace").mkdir()
    publish = stage.play(
        "fork-safe-publish.yml", event_name="workflow_run",
        payload=review_finished_event(base, head), workspace=tmp_path / "empty-workspace",
        sha=base, ref="refs/heads/main", secrets={},
    )  # fmt: skip
    run = publish.step("publish").run
    assert run.exit_code == 0, run.log
    (posted,) = stage.github.proxy.calls("POST", rf"{REPO_API}/pulls/{PR_NUMBER}/reviews")
    body = posted.json()
    assert body["event"] == "COMMENT" and body["commit_id"] == head
    assert ("src/shop/pricing.py", debug_line) in [(c["path"], c["line"]) for c in body["comments"]]
    assert stage.github.proxy.calls("POST", rf"{REPO_API}/check-runs")
    publish.assert_least_privilege_suffices()


# --- deploy.yml -------------------------------------------------------------------------------

ORDERS = "".join(f"def price_{i}(x):\n    return x * {i}\n\n\n" for i in range(1, 21))
REVIEWS = rf"{REPO_API}/pulls/\d+/reviews"
DEPLOY_RUNS = rf"{REPO_API}/actions/workflows/deploy\.yml/runs"


@dataclass(frozen=True)
class Pushes:
    """main of a small service: each commit is one kind of change deploy.yml must route."""

    repo: GitRepoBuilder
    tuned: str
    docs: str
    orders: str
    auth: str
    migration: str


@pytest.fixture(scope="module")
def pushes(tmp_path_factory: pytest.TempPathFactory) -> Pushes:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("service") / "service")
    repo.commit(
        "service: orders and login",
        {
            "pyproject.toml": '[project]\nname = "shop"\nversion = "1.0"\n\n'
            '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
            "src/shop/__init__.py": "",
            "src/shop/orders.py": ORDERS,
            "src/shop/auth.py": "def login(user, password):\n    return check(user, password)\n",
            "tests/test_orders.py": "from shop.orders import price_2\n\n\n"
            "def test_price_doubles():\n    assert price_2(21) == 42\n",
            # a test the orders change cannot reach: the targeted set leaves it out
            "tests/test_auth.py": "from shop import auth\n\n\n"
            "def test_login_is_there():\n    assert callable(auth.login)\n",
            "README.md": "# Shop\n",
        },
    )
    for n in range(3):  # some history, so authors and files have a past
        tuned = repo.commit(
            f"orders: tune price {n}", {"src/shop/orders.py": ORDERS + f"TUNED = {n}\n"}
        )
    return Pushes(
        repo,
        tuned,
        docs=repo.commit("docs: how to order", {"README.md": "# Shop\n\nOrder online.\n"}),
        orders=repo.commit("orders: cache prices", {"src/shop/orders.py": ORDERS + "CACHE = {}\n"}),
        auth=repo.commit(
            "auth: strict password check",
            {
                "src/shop/auth.py": "def login(user, password):\n"
                "    return check(user, password, strict=True)\n"
            },
        ),
        migration=repo.commit(
            "orders: add a note column",
            {"migrations/0002_order_note.sql": "ALTER TABLE orders ADD COLUMN note TEXT;\n"},
        ),
    )


def deploy_opinion(level: str = "low") -> dict[str, Any]:
    """The model's view: it may only raise the deterministic floor, so 'low' changes nothing."""
    return {"risk_factors": ["small change"], "risk_level": level, "pre_deploy_checks": [],
            "monitoring_focus": ["error rate"], "confidence": 0.9}  # fmt: skip


def github_holds_green_history(stage: Stage, review: str = "APPROVED") -> None:
    """The pull requests behind the commits were reviewed; the workflow's recent runs passed."""

    def reviews(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**listing[0], "id": 1, "state": review}]

    def runs(listing: dict[str, Any]) -> dict[str, Any]:
        template = listing["workflow_runs"][0]
        ours = template["repository"]  # the run's own repository
        made = [{**template, "id": 900 + n, "conclusion": "success", "status": "completed",
                 "head_repository": ours} for n in range(5)]  # fmt: skip
        return {"total_count": len(made), "workflow_runs": made}

    stage.github.proxy.script("GET", REVIEWS, edit=reviews)
    stage.github.proxy.script("GET", DEPLOY_RUNS, edit=runs)


def play_deploy(stage: Stage, pushes: Pushes, before: str, after: str, **extra: Any) -> Played:
    workspace = checkout(pushes.repo.path, stage.tmp_path / f"checkout-{after[:8]}", after)
    return stage.play(
        "deploy.yml", event_name="push", payload=push_event(before, after), workspace=workspace,
        sha=after, ref="refs/heads/main", **extra,
    )  # fmt: skip


def gate_outputs(played: Played) -> dict[str, str]:
    run = played.step("analyse").run
    assert run.exit_code == 0, run.log
    return played.jobs["analyse"].outputs


@exercises(("deploy.yml", "analyse"))
def test_deploy_ships_a_docs_change_directly_without_tests(stage: Stage, pushes: Pushes) -> None:
    github_holds_green_history(stage)
    stage.model.answer(deploy_opinion())
    played = play_deploy(stage, pushes, pushes.tuned, pushes.docs, vars={"PROMETHEUS_URL": ""})

    outputs = gate_outputs(played)
    assert outputs == {
        "risk_level": "low", "recommendation": "proceed", "strategy": "none",
        "canary_percentage": "100", "requires_approval": "false", "test_scope": "none",
        "test_paths": "[]",
    }  # fmt: skip
    assert {j: o.result for j, o in played.jobs.items()} == {
        "analyse": "success", "test": "skipped", "approve": "skipped", "deploy": "success",
        "canary": "skipped", "rollback": "skipped",
    }  # fmt: skip
    # The audit trail is uploaded as an artifact: its last line is this decision.
    upload = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02"
    audit = Path(played.jobs["analyse"].rendered[upload]["with.path"])
    last = json.loads(audit.read_text().splitlines()[-1])
    assert pushes.docs in json.dumps(last)
    assert stage.model.pending == 0 and len(stage.model.chat_requests) == 1
    played.assert_least_privilege_suffices()


@exercises(("deploy.yml", "analyse"))
def test_deploy_runs_only_the_tests_a_source_change_calls_for(stage: Stage, pushes: Pushes) -> None:
    github_holds_green_history(stage)
    stage.model.answer(deploy_opinion())
    played = play_deploy(stage, pushes, pushes.docs, pushes.orders, vars={"PROMETHEUS_URL": ""})

    outputs = gate_outputs(played)
    assert outputs["test_scope"] == "targeted"
    assert json.loads(outputs["test_paths"]) == ["tests/test_orders.py"]
    assert outputs["recommendation"] == "proceed" and outputs["requires_approval"] == "false"
    assert played.ran() == {"analyse", "test", "deploy"}
    # The test job's own script consumes test_paths as written: run it in the checkout.
    test_job = played.workflow.jobs["test"]
    script = test_job["steps"][-1]["run"]
    env = {k.removeprefix("env."): v for k, v in played.jobs["test"].rendered[
        "Run the tests the change calls for"].items() if k.startswith("env.")}  # fmt: skip
    workspace = stage.tmp_path / f"checkout-{pushes.orders[:8]}"
    done = subprocess.run(
        ["bash", "-e", "-c", script], cwd=workspace, capture_output=True, text=True,
        env={"PATH": path_env(), **env}, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    played.assert_least_privilege_suffices()


@exercises(("deploy.yml", "analyse"))
def test_deploy_waits_for_approval_of_a_migration(stage: Stage, pushes: Pushes) -> None:
    github_holds_green_history(stage)
    stage.model.answer(deploy_opinion())
    played = play_deploy(stage, pushes, pushes.auth, pushes.migration, vars={"PROMETHEUS_URL": ""})

    outputs = gate_outputs(played)
    assert outputs["requires_approval"] == "true"
    assert outputs["strategy"] == "blue_green" and outputs["recommendation"] == "proceed"
    assert played.jobs["approve"].result == "success"  # the environment's reviewers approve
    assert played.jobs["deploy"].result == "success"
    assert played.jobs["canary"].result == "skipped"


@pytest.fixture
def prometheus_gateway(prometheus_server: PrometheusServer) -> Iterator[BearerGateway]:
    gateway = BearerGateway(prometheus_server, PROMETHEUS_TOKEN)
    yield gateway
    gateway.close()


def rollback_runner(stage: Stage, bin_dir: Path) -> tuple[OtherStep, Path]:
    """Runs deploy.yml's rollback job's own shell script, as written in the YAML, with bash as
    the runner does (``bash -e``), its rendered ``env:``, and a recording ``kubectl`` first on
    PATH; returns the file the recorder writes its calls to."""
    log = kubectl_recorder.install(bin_dir)

    def run(job_id: str, step: dict[str, Any], rendered: dict[str, str]) -> None:
        if job_id != "rollback" or "run" not in step:
            return
        env = {k.removeprefix("env."): v for k, v in rendered.items() if k.startswith("env.")}
        env |= {"PATH": f"{bin_dir}:/usr/bin:/bin", "RUNNER_TEMP": str(stage.runner.runner_temp)}
        done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr

    return run, log


@exercises(("deploy.yml", "analyse"), ("deploy.yml", "canary"))
def test_deploy_canaries_a_security_change_and_rolls_back_a_slow_canary(
    stage: Stage, pushes: Pushes, prometheus_gateway: BearerGateway
) -> None:
    """The canary judge says rollback and the rollback job's own step runs ``kubectl rollout
    undo`` then ``rollout status`` on the deployment the workflow names; when the judge cannot
    judge, that step does not run. There is no cluster here, so ``kubectl`` is a recorder that
    answers as kubectl does; the real kubectl (``--help``, which reaches no cluster) checks
    that the arguments it was given parse."""
    github_holds_green_history(stage)
    stage.model.answer(deploy_opinion())
    rollback, kubectl_calls = rollback_runner(stage, stage.tmp_path / "kubectl-bin")
    played = play_deploy(
        stage, pushes, pushes.orders, pushes.auth, vars={"PROMETHEUS_URL": prometheus_gateway.url},
        other_step=rollback,
    )  # fmt: skip

    outputs = gate_outputs(played)
    assert outputs["strategy"] == "canary" and outputs["canary_percentage"] == "25"
    assert outputs["requires_approval"] == "false"
    # The canary serves p99 latency 30 % above the baseline (the Prometheus fixture's default
    # series): the judge says rollback, fail-on: rollback fails the job, the rollback job runs.
    judge = played.step("canary").run
    assert judge.exit_code == 1, judge.log
    assert judge.outputs["verdict"] == "rollback" and judge.outputs["healthy"] == "true"
    assert played.jobs["canary"].outputs == {"rollback": "true", "verdict": "rollback"}
    assert played.jobs["canary"].result == "failure"
    assert played.jobs["rollback"].result == "success"
    undo, status = kubectl_recorder.calls(kubectl_calls)
    assert undo["argv"] == ["--namespace", "production", "rollout", "undo", "deployment/app"]
    assert status["argv"] == ["--namespace", "production", "rollout", "status", "deployment/app",
                              "--timeout=5m"]  # fmt: skip
    for call in (undo, status):  # the secret's kubeconfig, readable by the job's user alone
        assert call["kubeconfig"] == SECRETS["KUBECONFIG"] and call["mode"] == "0o600"
        assert kubectl_recorder.real_kubectl_accepts(call["argv"]) == "", call["argv"]
    assert prometheus_gateway.authorized > 0  # the token from secrets.PROMETHEUS_TOKEN was sent
    # The token is registered with the runner's masking, and shows nowhere else.
    shown = [line for line in (judge.log + judge.summary).splitlines() if PROMETHEUS_TOKEN in line]
    assert shown == [f"::add-mask::{PROMETHEUS_TOKEN}"]
    played.assert_least_privilege_suffices()

    # Prometheus unreachable: never promote, never roll back on the judge's own failure.
    dead = f"http://127.0.0.1:{free_port()}"
    blind = play_deploy(
        stage, pushes, pushes.orders, pushes.auth, vars={"PROMETHEUS_URL": dead},
        replay={"analyse": StepRun(played.step("analyse").run.outputs, 0)}, other_step=rollback,
    )  # fmt: skip
    judge = blind.step("canary").run
    assert judge.exit_code == 3, judge.log
    assert judge.outputs["verdict"] == "continue" and judge.outputs["healthy"] == "false"
    assert blind.jobs["canary"].outputs == {"rollback": "false", "verdict": "continue"}
    assert blind.jobs["rollback"].result == "skipped"
    assert len(kubectl_recorder.calls(kubectl_calls)) == 2  # no third call: nothing rolled back
    assert judge.summary.splitlines()[0].strip()  # one plain sentence first


# --- ci-failure.yml ---------------------------------------------------------------------------


@pytest.fixture
def failed_ci(github_api: GitHubApi, tmp_path: Path) -> Any:
    from tests.helpers.failure_github import GitHubState

    state = GitHubState(github_api, tmp_path)
    state.standard()
    return state


def ci_failure_event(state: Any, **changes: Any) -> dict[str, Any]:
    path = state.event(name="CI", **changes)
    return rehome(json.loads(path.read_text()))


@exercises(("ci-failure.yml", "analyse"))
def test_ci_failure_explains_a_failed_pull_request_run_on_the_pull_request(
    stage: Stage, failed_ci: Any
) -> None:
    from tests.helpers.failed_run import ROOT_CAUSE

    payload = ci_failure_event(
        failed_ci,
        event="pull_request",
        pull_requests=[{"number": PR_NUMBER, "head": {"sha": failed_ci.head, "ref": "fix"},
                        "base": {"sha": failed_ci.base, "ref": "main"}}],
    )  # fmt: skip
    failed_ci.comments(rf"{REPO_API}/issues/{PR_NUMBER}/comments")
    stage.model.answer(
        {"root_cause": "The new test expects 6 from add(2, 3).", "failure_type": "test_failure",
         "responsible_files": ["tests/test_failing.py"], "responsible_commit": failed_ci.head,
         # The pinned release the example installs still requires "patch"; this one drops it.
         "fix": {"type": "test", "description": "Expect 5.", "patch": None},
         "confidence": 0.9, "is_flaky": False, "flaky_evidence": []}
    )  # fmt: skip
    # fix: suggest (the example settings file, on the default branch the run trusts) runs the
    # model's fix loop after the diagnosis; this model proposes nothing.
    stage.model.answer("The test's expectation is wrong; I propose no patch.")
    settings = (ACTION_DIR / "examples" / "cicd-agent.yml").read_text()
    failed_ci.repo.commit("Settings", {".github/cicd-agent.yml": settings})
    # The example checks out the failed commit (its fix is verified against it).
    workspace = checkout(failed_ci.repo.path, stage.tmp_path / "workspace", failed_ci.head)
    played = stage.play(
        "ci-failure.yml", event_name="workflow_run", payload=payload, workspace=workspace,
        sha=failed_ci.base, ref="refs/heads/main",
    )  # fmt: skip

    run = played.step("analyse").run
    assert run.exit_code == 0, run.log
    assert run.outputs["failure_type"] == "test_failure" and run.outputs["is_flaky"] == "false"
    assert ROOT_CAUSE in run.summary
    (comment,) = stage.github.proxy.calls("POST", rf"{REPO_API}/issues/{PR_NUMBER}/comments")
    assert ROOT_CAUSE in comment.json()["body"]
    say = played.jobs["analyse"].rendered["Say what failed"]
    assert say == {"env.FAILURE_TYPE": "test_failure", "env.IS_FLAKY": "false",
                   "env.FIX_STATUS": "none", "env.RERUN": "false"}  # fmt: skip (no re-run asked)
    assert "**No fix offered:**" in run.summary
    assert "the model stopped without a verified patch: The test's expectation" in run.summary
    played.assert_least_privilege_suffices()


@exercises(("ci-failure.yml", "analyse"))
def test_ci_failure_on_a_push_run_needs_contents_write_for_its_commit_comment(
    stage: Stage, failed_ci: Any
) -> None:
    """A red push run has no pull request: the comment goes on the commit, which takes
    ``contents: write``. ci-failure.yml grants only read, so GitHub refuses it and the mode says
    so in the summary, with its outputs written and the step green."""
    payload = ci_failure_event(failed_ci)
    failed_ci.comments(rf"{REPO_API}/commits/{failed_ci.head}/comments")
    workspace = checkout(failed_ci.repo.path, stage.tmp_path / "workspace", failed_ci.base)
    played = stage.play(
        "ci-failure.yml", event_name="workflow_run", payload=payload, workspace=workspace,
        sha=failed_ci.base, ref="refs/heads/main", secrets={"OPENAI_API_KEY": ""},
    )  # fmt: skip

    record = played.step("analyse")
    assert record.run.exit_code == 0, record.run.log
    assert record.run.outputs["failure_type"] == "test_failure"
    commit_comments = f"POST {REPO_API}/commits/{failed_ci.head}/comments needs contents: write"
    grants = played.workflow.jobs["analyse"]["permissions"]
    if grants.get("contents") == "write":
        assert record.refused == [] and record.run.outputs["comment_url"]
    else:
        assert record.refused == [commit_comments]
        assert record.run.outputs["comment_url"] == ""
        assert f"Skipped commenting on commit {failed_ci.head[:12]}" in record.run.summary


@exercises()
def test_ci_failure_ignores_green_runs(stage: Stage, failed_ci: Any) -> None:
    payload = ci_failure_event(failed_ci, conclusion="success")
    played = stage.play(
        "ci-failure.yml", event_name="workflow_run", payload=payload, workspace=stage.tmp_path,
        sha=failed_ci.base, ref="refs/heads/main",
    )  # fmt: skip
    assert played.ran() == set()


# --- reusable.yml -----------------------------------------------------------------------------


def caller_grants(mode: str) -> dict[str, str]:
    """The permissions reusable.yml's usage comment tells a caller of ``mode`` to grant."""
    (job,) = [j for j in usage_comment(Workflow.load("reusable.yml"))["jobs"].values()
              if j["with"]["mode"] == mode]  # fmt: skip
    return dict(job["permissions"])


@exercises(("reusable.yml", "run"))
def test_reusable_gate_holds_a_change_a_reviewer_rejected(stage: Stage, pushes: Pushes) -> None:
    github_holds_green_history(stage, review="CHANGES_REQUESTED")
    stage.model.answer(deploy_opinion())
    workspace = checkout(pushes.repo.path, stage.tmp_path / "workspace", pushes.orders)
    played = stage.play(
        "reusable.yml", event_name="push", payload=push_event(pushes.docs, pushes.orders),
        workspace=workspace, sha=pushes.orders, ref="refs/heads/main",
        inputs={"mode": "deploy-gate", "fail-on": "hold"},
        secrets={"openai-api-key": TEST_API_KEY}, caller_permissions=caller_grants("deploy-gate"),
    )  # fmt: skip

    run = played.step("run").run
    assert run.exit_code == 1, run.log  # fail-on: hold
    assert played.jobs["run"].result == "failure"
    outputs = workflow_call_outputs(played.workflow, played.jobs)
    assert outputs["recommendation"] == "hold"
    assert outputs["risk_level"] in {"low", "medium", "high", "critical"}
    assert outputs["decision"] == ""
    played.assert_least_privilege_suffices()


@exercises(("reusable.yml", "run"))
def test_reusable_review_hands_its_decision_to_the_caller(stage: Stage, tmp_path: Path) -> None:
    source = tmp_path / "shop"
    base, head = make_repo(source)
    workspace, merge = merge_checkout(source, tmp_path / "workspace", base, head)
    stage.model.answer(
        ReviewAnswer(summary="Clean pricing helpers.", verdict="approve", findings=[])
    )
    played = stage.play(
        "reusable.yml", event_name="pull_request", payload=pull_request_event(base, head),
        workspace=workspace, sha=merge, ref=f"refs/pull/{PR_NUMBER}/merge",
        inputs={"mode": "review"}, secrets={"openai-api-key": TEST_API_KEY},
        caller_permissions=caller_grants("review"),
    )  # fmt: skip

    run = played.step("run").run
    assert run.exit_code == 0, run.log
    outputs = workflow_call_outputs(played.workflow, played.jobs)
    assert outputs["decision"] == "approve"
    assert outputs["recommendation"] == ""
    (posted,) = stage.github.proxy.calls("POST", rf"{REPO_API}/pulls/{PR_NUMBER}/reviews")
    assert posted.json()["event"] == "APPROVE"
    played.assert_least_privilege_suffices()


INSTALL_STEP = "install"  # the install step's id, which labels it


@exercises(("reusable.yml", "run"))
def test_reusable_review_installs_the_project_when_asked_and_only_then(
    stage: Stage, tmp_path: Path
) -> None:
    """A review caller whose type checker needs the project installed names ``install``; the
    install runs the pull request's code, so its steps get no secret. Without ``install`` a
    review job installs nothing, as before."""
    source = tmp_path / "shop"
    base, head = make_repo(source)
    workspace, merge = merge_checkout(source, tmp_path / "workspace", base, head)
    install = "python -m pip install -e . mypy"
    runs = {}
    for given in ({"install": install, "setup": "python"}, {}):
        stage.model.answer(
            ReviewAnswer(summary="Clean pricing helpers.", verdict="approve", findings=[])
        )
        played = stage.play(
            "reusable.yml", event_name="pull_request", payload=pull_request_event(base, head),
            workspace=workspace, sha=merge, ref=f"refs/pull/{PR_NUMBER}/merge",
            inputs={"mode": "review", **given}, secrets={"openai-api-key": TEST_API_KEY},
            caller_permissions=caller_grants("review"),
        )  # fmt: skip
        assert played.step("run").run.exit_code == 0, played.step("run").run.log
        runs[bool(given)] = played.jobs["run"]

    asked = runs[True]
    agent = asked.steps_run.index("agent")
    assert asked.steps_run.index(INSTALL_STEP) < agent
    assert any(s.startswith("actions/setup-python@") for s in asked.steps_run[:agent])
    assert asked.rendered[INSTALL_STEP] == {"env.INSTALL": install}
    for label in asked.steps_run[:agent]:
        assert TEST_API_KEY not in json.dumps(asked.rendered[label]), label
    assert TEST_API_KEY in json.dumps(asked.rendered["agent"])  # the key goes to the agent alone
    unasked = runs[False]
    assert INSTALL_STEP not in unasked.steps_run
    assert not any(s.startswith("actions/setup-") for s in unasked.steps_run)


def test_reusable_gives_the_key_after_an_install_only_for_a_writers_code(
    stage: Stage, tmp_path: Path
) -> None:
    """Attack: the install runs the pull request's code in the job, and what it leaves there
    (``BASH_ENV`` in ``$GITHUB_ENV``, a process that outlives its step) reaches the agent step
    and its key (``test_reusable_install_attacks.py`` shows it on real bash). After an install
    the agent gets the key only for a branch of this repository, whose writers can read the
    secret anyway; a fork's pull request runs offline. Without an install, the key as before."""
    source = tmp_path / "shop"
    base, head = make_repo(source)
    workspace, merge = merge_checkout(source, tmp_path / "workspace", base, head)
    given: dict[tuple[bool, bool], str] = {}
    for fork, install in ((True, True), (False, True), (True, False)):
        payload = pull_request_event(base, head)
        if fork:
            payload["pull_request"]["head"]["repo"]["full_name"] = "attacker/shop"
        if not fork or not install:  # the model answers only where it is called
            stage.model.answer(ReviewAnswer(summary="Clean.", verdict="approve", findings=[]))
        played = stage.play(
            "reusable.yml", event_name="pull_request", payload=payload, workspace=workspace,
            sha=merge, ref=f"refs/pull/{PR_NUMBER}/merge",
            inputs={"mode": "review", **({"install": "true"} if install else {})},
            secrets={"openai-api-key": TEST_API_KEY}, caller_permissions=caller_grants("review"),
        )  # fmt: skip
        assert played.step("run").run.exit_code == 0, played.step("run").run.log
        given[fork, install] = played.jobs["run"].rendered["agent"]["with.openai-api-key"]
    assert given == {(True, True): "", (False, True): TEST_API_KEY, (True, False): TEST_API_KEY}


# --- what can be checked without running anything ---------------------------------------------


def test_every_cicd_agent_step_of_every_example_runs_end_to_end() -> None:
    steps = {(w.path.name, s.job_id) for w in all_examples() for s in w.agent_steps()}
    assert steps == EXERCISED


# --- pr-commands.yml ----------------------------------------------------------------------------


def commented(body: str, association: str = "MEMBER") -> dict[str, Any]:
    """A real issue_comment payload on pull request #2 of the mock's repository."""
    from tests.helpers.commands import comment_payload

    return rehome(comment_payload(body, association=association))


def play_comment(stage: Stage, payload: dict[str, Any], workspace: Path, base: str) -> Played:
    return stage.play(
        "pr-commands.yml", event_name="issue_comment", payload=payload, workspace=workspace,
        sha=base, ref="refs/heads/main",
    )  # fmt: skip


def our_replies(stage: Stage) -> list[str]:
    from tests.helpers.commands import replies

    return replies(stage.github)


@exercises(("pr-commands.yml", "review"), ("pr-commands.yml", "respond"))
def test_pr_commands_run_a_members_review_and_refuse_an_outsider_in_one_line(
    stage: Stage, tmp_path: Path
) -> None:
    from tests.helpers.commands import serve_pull

    source = tmp_path / "shop"
    base, head = make_repo(source)
    workspace = checkout(source, tmp_path / "workspace", base)  # the default branch
    serve_pull(stage.github, base, head)

    chatter = play_comment(stage, commented("Thanks, looks good!"), workspace, base)
    assert chatter.ran() == set() and stage.github.proxy.requests == []

    played = play_comment(stage, commented("/cicd-agent review"), workspace, base)
    assert played.ran() == {"review"}
    run = played.step("review").run
    assert run.exit_code == 0, run.log
    assert (run.outputs["command_status"], run.outputs["head_sha"]) == ("ran", head)
    (posted,) = stage.github.proxy.calls("POST", rf"{REPO_API}/pulls/{PR_NUMBER}/reviews")
    assert posted.json()["commit_id"] == head
    (answer,) = our_replies(stage)
    assert f"Ran `review` at commit `{head[:12]}`" in answer
    played.assert_least_privilege_suffices()

    outsider = play_comment(stage, commented("/cicd-agent review", "NONE"), workspace, base)
    assert outsider.ran() == {"respond"}
    assert outsider.step("respond").run.outputs["command_status"] == "refused"
    assert len(stage.github.proxy.calls("POST", rf"{REPO_API}/pulls/{PR_NUMBER}/reviews")) == 1
    assert "write access" in our_replies(stage)[-1]
    outsider.assert_least_privilege_suffices()


@exercises(("pr-commands.yml", "respond"))
def test_pr_commands_answer_a_question_and_describe_the_change(
    stage: Stage, tmp_path: Path
) -> None:
    from cicd_agent.modes.command.prompt import AskAnswer
    from tests.helpers.commands import serve_pull

    source = tmp_path / "shop"
    base, head = make_repo(source)
    workspace = checkout(source, tmp_path / "workspace", base)
    serve_pull(stage.github, base, head)
    stage.model.answer(AskAnswer(answer="Bulk rates apply from 10 items.", grounded=True))

    played = play_comment(stage, commented("/cicd-agent ask When do bulk rates apply?"),
                          workspace, base)  # fmt: skip
    assert played.ran() == {"respond"}
    run = played.step("respond").run
    assert run.exit_code == 0, run.log
    (answer,) = our_replies(stage)
    assert "Bulk rates apply from 10 items." in answer
    assert "When do bulk rates apply?" in stage.model.chat_requests[0].text("user")
    played.assert_least_privilege_suffices()

    described = stage.play(
        "pr-commands.yml", event_name="issue_comment", payload=commented("/cicd-agent describe"),
        workspace=workspace, sha=base, ref="refs/heads/main", secrets={"OPENAI_API_KEY": ""},
    )  # fmt: skip
    assert described.ran() == {"respond"}
    assert described.step("respond").run.exit_code == 0, described.step("respond").run.log
    (patch,) = stage.github.proxy.calls("PATCH", rf"{REPO_API}/pulls/{PR_NUMBER}")
    assert "src/shop/pricing.py" in patch.json()["body"]
    assert our_replies(stage)[-1].startswith(f"Described the change at commit `{head[:12]}`")
    described.assert_least_privilege_suffices()


@exercises(("pr-commands.yml", "explain-failure"))
def test_pr_commands_explain_the_heads_failed_run(stage: Stage, failed_ci: Any) -> None:
    from tests.helpers.commands import serve_pull
    from tests.helpers.failed_run import ROOT_CAUSE
    from tests.helpers.failure_github import RUN_ID
    from tests.helpers.failure_github import rehome as rehome_run

    serve_pull(stage.github, failed_ci.base, failed_ci.head)

    def failed_of_head(listing: dict[str, Any]) -> dict[str, Any]:
        run = rehome_run(listing["workflow_runs"][0], RUN_ID, conclusion="failure",
                         status="completed", head_sha=failed_ci.head, event="pull_request")  # fmt: skip
        return {"total_count": 1, "workflow_runs": [run]}

    stage.github.proxy.script("GET", rf"{REPO_API}/actions/runs", edit=failed_of_head)
    failed_ci.run(RUN_ID, head=failed_ci.head)
    failed_ci.comments(rf"{REPO_API}/commits/{failed_ci.head}/comments")
    workspace = checkout(failed_ci.repo.path, stage.tmp_path / "workspace", failed_ci.base)
    played = stage.play(
        "pr-commands.yml", event_name="issue_comment",
        payload=commented("/cicd-agent explain-failure"), workspace=workspace,
        sha=failed_ci.base, ref="refs/heads/main", secrets={"OPENAI_API_KEY": ""},
    )  # fmt: skip

    assert played.ran() == {"explain-failure"}
    run = played.step("explain-failure").run
    assert run.exit_code == 0, run.log
    assert run.outputs["root_cause"] == ROOT_CAUSE
    answer = our_replies(stage)[-1]
    assert f"Ran `analyse-failure` at commit `{failed_ci.head[:12]}`" in answer
    # The run came from a push: its analysis goes on the commit, which needs contents: write
    # the job does not grant (README); that write is refused, the reply still goes out.
    commit_comment = f"POST {REPO_API}/commits/{failed_ci.head}/comments needs contents: write"
    assert played.step("explain-failure").refused == [commit_comment]


@exercises(("pr-commands.yml", "gen-tests"))
def test_pr_commands_generate_tests_at_the_checked_out_head(stage: Stage, tmp_path: Path) -> None:
    from tests.helpers.commands import serve_pull

    source = tmp_path / "shop"
    base, head = make_repo(source)
    workspace = checkout(source, tmp_path / "workspace", head)  # refs/pull/2/head
    serve_pull(stage.github, base, head)
    # Every new function of the head is asked for; one test passes the gate. The other two
    # answers do not parse, so the gate turns them down before running anything: what the
    # command's job must show is that gen-tests ran at the head and its accepted test went out
    # (all three through the gate is the pr-review test's, on the same project). Each candidate
    # through the gate is about 4 CPU-s of sandboxed pytest runs.
    stage.model.answer_with(bulk_discount_only, times=1 + 2 * ATTEMPTS)

    played = play_comment(stage, commented("/cicd-agent gen-tests"), workspace, base)
    assert played.ran() == {"gen-tests"}
    run = played.step("gen-tests").run
    assert run.exit_code == 0, run.log
    asked = {name for r in stage.model.chat_requests for name in PRICING_TESTS
             if f"def {name}(" in r.text("user")}  # fmt: skip
    assert asked == set(PRICING_TESTS) and stage.model.pending == 0
    assert run.outputs["tests_accepted"] == "1", run.summary
    assert run.outputs["tests_generated"] == "7", run.summary
    upload = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02"
    assert upload in played.jobs["gen-tests"].steps_run
    answer = our_replies(stage)[-1]
    assert f"Ran `gen-tests` at commit `{head[:12]}`" in answer
    played.assert_least_privilege_suffices()


# --- test-step.yml ------------------------------------------------------------------------------


@exercises(("test-step.yml", "tests"))
def test_the_test_step_names_a_pull_requests_failing_test_and_fails_its_job(
    stage: Stage, tmp_path: Path
) -> None:
    """The action's test step on a pull request: the job's own command runs in its checkout,
    the test that failed on every run is an output, and the job fails as a plain test step
    would; a pull request's outcomes never enter the history."""
    repo = GitRepoBuilder(tmp_path / "origin")
    base = repo.commit("base", {"pyproject.toml": "[project]\nname = 'p'\n",
                                "tests/test_ok.py": "def test_ok():\n    assert True\n"})  # fmt: skip
    head = repo.commit("break", {"tests/test_new.py": "def test_new():\n    assert 1 == 2\n"})
    workspace, merged = merge_checkout(repo.path, tmp_path / "checkout", base, head)
    played = stage.play(
        "test-step.yml", event_name="pull_request", payload=pull_request_event(base, head),
        workspace=workspace, sha=merged, ref=f"refs/pull/{PR_NUMBER}/merge",
    )  # fmt: skip
    run = played.step("tests").run
    assert run.exit_code == 1, run.log
    assert run.outputs["step_result"] == "failed"
    assert json.loads(run.outputs["failed_tests"]) == ["tests/test_new.py::test_new"]
    assert played.jobs["tests"].result == "failure"


JS_TESTS = {
    "jest": ('{"name": "p", "version": "1.0.0"}\n', "calc.test.js", "const { test, expect } = "
             "require('@jest/globals');\n", ("jest", "@jest")),
    "vitest": ('{"name": "p", "type": "module"}\n', "calc.test.js",
               'import { test, expect } from "vitest";\n', ("vitest", "@vitest")),
}  # fmt: skip
"""Each runner's project: its package.json, test file, the test's import, and the packages
``npm ci`` would have installed (linked from the toolbox)."""


@exercises(("test-step-jest.yml", "tests"), ("test-step-vitest.yml", "tests"))
def test_the_javascript_test_steps_name_a_pull_requests_failing_test(
    stage: Stage, tmp_path: Path
) -> None:
    """The jest and vitest variants of the test step, each on a real project of its runner on a
    pull request: the project's own runner (as ``npm ci`` installs it) runs through ``npx``,
    the test that failed on every run is an output by the runner's own name, and the job fails."""
    from tests.corpus.build import TOOLS_DIR
    from tests.helpers.eslint import needs_node_tool

    for runner, (package, name, imports, installed) in JS_TESTS.items():
        needs_node_tool(runner)
        repo = GitRepoBuilder(tmp_path / runner / "origin")
        passing = f"{imports}test('ok', () => {{ expect(1).toBe(1); }});\n"
        base = repo.commit("base", {".gitignore": "node_modules\n", "package.json": package,
                                    name: passing})  # fmt: skip
        head = repo.commit("break", {name: passing + "test('broken', () => { expect(1).toBe(2); });\n"})
        workspace, merged = merge_checkout(repo.path, tmp_path / runner / "checkout", base, head)
        modules = workspace / "node_modules"
        (modules / ".bin").mkdir(parents=True)
        for package_name in installed:  # the project's own install, as npm ci leaves it
            (modules / package_name).symlink_to(TOOLS_DIR / "node" / "node_modules" / package_name)
        (modules / ".bin" / runner).symlink_to(TOOLS_DIR / "node" / "node_modules" / ".bin" / runner)
        played = stage.play(
            f"test-step-{runner}.yml", event_name="pull_request",
            payload=pull_request_event(base, head), workspace=workspace, sha=merged,
            ref=f"refs/pull/{PR_NUMBER}/merge",
        )  # fmt: skip
        run = played.step("tests").run
        assert run.exit_code == 1, run.log
        assert run.outputs["step_result"] == "failed", run.log
        assert json.loads(run.outputs["failed_tests"]) == [f"{name} › broken"], run.log
        assert played.jobs["tests"].result == "failure"


@exercises(("test-step-node.yml", "tests"))
def test_the_node_test_step_names_a_pull_requests_failing_test(stage: Stage, tmp_path: Path) -> None:
    """The node variant of the test step on a project with no package at all: `node --test` run
    by the step, the test that failed on every run an output by its suite and title (node's
    report names no file), and the job fails."""
    repo = GitRepoBuilder(tmp_path / "origin")
    passing = ("const { describe, it } = require('node:test');\nconst assert = require('assert');\n"
               "describe('calc', () => {\n  it('ok', () => assert.equal(1, 1));\n")  # fmt: skip
    base = repo.commit("base", {"package.json": '{"name": "p"}\n', "test/calc.test.js": passing + "});\n"})
    broken = "  it('broken', () => assert.equal(1, 2));\n});\n"
    head = repo.commit("break", {"test/calc.test.js": passing + broken})
    workspace, merged = merge_checkout(repo.path, tmp_path / "checkout", base, head)
    played = stage.play(
        "test-step-node.yml", event_name="pull_request", payload=pull_request_event(base, head),
        workspace=workspace, sha=merged, ref=f"refs/pull/{PR_NUMBER}/merge",
    )  # fmt: skip
    run = played.step("tests").run
    assert run.exit_code == 1, run.log
    assert run.outputs["step_result"] == "failed", run.log
    assert json.loads(run.outputs["failed_tests"]) == ["test/calc.test.js › calc › broken"], run.log
    assert played.jobs["tests"].result == "failure"


@needs_go
@needs_cargo
@exercises(("test-step-go.yml", "tests"), ("test-step-rust.yml", "tests"))
def test_the_go_and_rust_test_steps_name_a_pull_requests_failing_test(
    stage: Stage, tmp_path: Path
) -> None:
    """The Go and Rust variants of the test step on a real module and crate of their own (no
    dependency, nothing fetched): `go test ./...` and `cargo test` run by the step, the test
    that failed on every run an output by the runner's own name, and the job fails."""
    projects = {
        "go": ({"go.mod": "module example.com/calc\n\ngo 1.19\n",
                "calc.go": "package calc\n\nfunc One() int { return 1 }\n"},
               "calc_test.go", "package calc\n\nimport \"testing\"\n\n"
               "func TestOk(t *testing.T) {\n\tif One() != 1 {\n\t\tt.Fatal(\"one\")\n\t}\n}\n",
               "func TestBroken(t *testing.T) {\n\tif One() != 2 {\n\t\tt.Fatal(\"two\")\n\t}\n}\n"),
        "rust": ({"Cargo.toml": '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n',
                  "Cargo.lock": "version = 3\n\n[[package]]\nname = \"calc\"\nversion = \"0.1.0\"\n"},
                 "src/lib.rs", "pub fn one() -> u32 {\n    1\n}\n\n#[cfg(test)]\nmod tests {\n"
                 "    #[test]\n    fn ok() {\n        assert_eq!(super::one(), 1);\n    }\n",
                 "    #[test]\n    fn broken() {\n        assert_eq!(super::one(), 2);\n    }\n"),
    }  # fmt: skip
    for runner, (files, name, passing, failing) in projects.items():
        repo = GitRepoBuilder(tmp_path / runner / "origin")
        closing = "}\n" if runner == "rust" else ""
        base = repo.commit("base", {".gitignore": "target\n", **files, name: passing + closing})
        head = repo.commit("break", {name: passing + failing + closing})
        workspace, merged = merge_checkout(repo.path, tmp_path / runner / "checkout", base, head)
        played = stage.play(
            f"test-step-{runner}.yml", event_name="pull_request",
            payload=pull_request_event(base, head), workspace=workspace, sha=merged,
            ref=f"refs/pull/{PR_NUMBER}/merge",
        )  # fmt: skip
        run = played.step("tests").run
        assert run.exit_code == 1, run.log
        assert run.outputs["step_result"] == "failed", run.log
        failed = json.loads(run.outputs["failed_tests"])
        assert len(failed) == 1 and failed[0].endswith(("TestBroken", "tests::broken")), failed
        assert played.jobs["tests"].result == "failure"


# --- build.yml ----------------------------------------------------------------------------------


@needs_buildah
@exercises(("build.yml", "build"))
def test_build_reports_the_image_of_a_pull_request_in_its_comment(
    stage: Stage, tmp_path: Path
) -> None:
    """The example's job on a runner without docker buildx: the action's auto builder falls back
    to buildah (tests/harness/setup.sh installs it), builds base and head and comments."""
    import shutil

    assert BUSYBOX is not None
    source = tmp_path / "app"
    builder = GitRepoBuilder(source)
    shutil.copy(BUSYBOX, source / "busybox")
    base = builder.commit(
        "base",
        {
            "Dockerfile": "FROM scratch\nCOPY busybox /bin/sh\nCOPY app.txt /app/app.txt\n",
            "app.txt": "1\n",
            # as the example's header says: fail-on new-critical needs vulnerability data (a
            # scratch image has no packages, so nothing is downloaded)
            ".github/cicd-agent.yml": "build:\n  vuln-db: osv\n",
        },
    )
    head = builder.commit("head", {"app.txt": "2\n"})
    workspace, merge = merge_checkout(source, tmp_path / "workspace", base, head)

    played = stage.play(
        "build.yml", event_name="pull_request", payload=pull_request_event(base, head),
        workspace=workspace, sha=merge, ref=f"refs/pull/{PR_NUMBER}/merge",
    )  # fmt: skip

    run = played.step("build").run
    assert run.exit_code == 0, run.log
    assert run.outputs["build_strategy"] == "cached", run.summary
    assert run.outputs["image_size_delta"] == "0"
    assert run.outputs["new_critical_cves"] == "0"
    (comment,) = stage.github.proxy.calls("POST", rf"{REPO_API}/issues/{PR_NUMBER}/comments")
    assert "| 3 | `COPY app.txt /app/app.txt` |" in comment.json()["body"]
    played.assert_least_privilege_suffices()


# --- eval.yml -----------------------------------------------------------------------------------


def _eval_config(prefix: str) -> str:
    tests = "".join(
        f"  - description: case {i}\n    vars: {{n: {i}}}\n"
        "    assert: [{type: icontains, value: right}]\n"
        for i in range(40)
    )
    return f"prompts: ['{prefix}Question {{{{n}}}}']\nproviders: [openai:chat:m]\ntests:\n{tests}"


@exercises(("eval.yml", "eval"))
def test_eval_blocks_a_pull_request_whose_prompt_answers_worse(
    stage: Stage, tmp_path: Path
) -> None:
    """The example's job: the team's promptfoo config at base and head, each case asked three
    times a side of the workflow's model, the head's prompt answering wrong: regressed, the
    job fails on `fail-on: regressed`, and the comment holds the per-case table."""
    source = tmp_path / "app"
    builder = GitRepoBuilder(source)
    base = builder.commit("base", {"promptfooconfig.yaml": _eval_config("")})
    head = builder.commit("head", {"promptfooconfig.yaml": _eval_config("v2 ")})
    workspace, merge = merge_checkout(source, tmp_path / "workspace", base, head)
    stage.model.answer_with(
        lambda request: "wrong" if request.text().startswith("v2 ") else "right", times=None
    )
    played = stage.play(
        "eval.yml", event_name="pull_request", payload=pull_request_event(base, head),
        workspace=workspace, sha=merge, ref=f"refs/pull/{PR_NUMBER}/merge",
    )  # fmt: skip
    run = played.step("eval").run
    assert run.exit_code == 1, run.log
    assert run.outputs["verdict"] == "regressed"
    assert run.outputs["pass_rate_base"] == "1.0000" and run.outputs["pass_rate_head"] == "0.0000"
    assert {r.model for r in stage.model.chat_requests} == {"gpt-5.4-mini"}
    (comment,) = stage.github.proxy.calls("POST", rf"{REPO_API}/issues/{PR_NUMBER}/comments")
    assert "| pass rate | 100.0 % | 0.0 % |" in comment.json()["body"]
    played.assert_least_privilege_suffices()
