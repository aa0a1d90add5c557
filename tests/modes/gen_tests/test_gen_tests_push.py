"""gen-tests ``push``: the accepted tests committed to the pull request's branch, for real.

The remote is a real bare repository (``CICD_AGENT_GIT_REMOTE_URL``, the tests-only override of
the GitHub URL), the checkout the fixture shop project, the event a real ``pull_request`` webhook
example pointed at them, and the scripted model answers six candidates that do not parse and
then the good one, so exactly one test is accepted. A ``pre-receive`` hook in the remote copies
the run's temporary folder while the push is in flight, so the throwaway repository the commit
is made in can be searched for the token before it is deleted. GitHub's API is the validating
mock answering as github.com answers a token it does not know (401): the run asks who opened the
pull request, is told nothing, and trusts it with nothing, at once (api.github.com unreachable made
urllib3 retry with 2 s and 4 s of backoff first, 6 s a run).
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cicd_agent.actions.errors import GitHubWriteDenied
from cicd_agent.job.resolve import load_event
from cicd_agent.local.push import (
    BOT_EMAIL,
    BOT_NAME,
    Remote,
    checked_out_head,
    commit_and_push,
    git_environment,
)
from cicd_agent.modes.gen_tests.patch import AcceptedTest, render_patch
from cicd_agent.modes.gen_tests.publish import REMOTE_URL_OVERRIDE, commit_message, refusal
from cicd_agent.modes.gen_tests.reports import AcceptedFile
from tests.fixtures.gentests_project.build import candidate, git, make_repo, tree_digest
from tests.harness.action_runner import parse_github_output
from tests.harness.github_mock import GitHubApi, GitHubMock
from tests.harness.model_server import TEST_API_KEY, ModelServer
from tests.harness.payloads import example, write_event
from tests.helpers.gen_tests import gate_reruns
from tests.helpers.gen_tests import path_env as _path_env
from tests.helpers.gen_tests import run_gen_tests as _run

TOKEN = "ghs_" + "Pu5hT0k3nXq8Zr1Wm4Yt7Nb2Vc9Lp6Jd3"
CREDENTIALS = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
BRANCH = "pricing-rules"
TEST_FILE = "tests/test_pricing_generated.py"


@dataclass
class PullRequest:
    """The checkout, its remote with the PR branch, and what a run left behind."""

    root: Path
    checkout: Path
    remote: Path
    base: str
    head: str
    runner_temp: Path
    snapshot: Path
    model: ModelServer
    github: GitHubMock

    def event(self, *, fork: bool = False) -> Path:
        payload = example("pull_request", "opened")
        pull = payload["pull_request"]
        pull["head"].update(sha=self.head, ref=BRANCH)
        pull["base"].update(sha=self.base, ref="main")
        if fork:
            pull["head"]["repo"]["full_name"] = "contributor/Hello-World"
            pull["head"]["repo"]["owner"]["login"] = "contributor"
        return write_event(self.root, payload)

    def run(self, *flags: str, fork: bool = False) -> Run:
        for _ in range(6):  # bulk_discount and shipping_cost: rejected before running anything
            self.model.answer({"test_module": candidate("syntax_error"), "rationale": "broken"})
        self.model.answer({"test_module": candidate("good"), "rationale": "coupon codes"})
        digest = tree_digest(self.checkout)
        argv = [
            "--repo",
            str(self.checkout),
            "--event",
            str(self.event(fork=fork)),
            "--event-name",
            "pull_request",
            "--base-url",
            self.model.base_url,
            "--push",
            *flags,
        ]
        with gate_reruns(1):  # what is pushed is at stake here, not a flaky candidate
            code, document, outputs, stderr = _run(
                argv,
                self.root,
                OPENAI_API_KEY=TEST_API_KEY,
                GITHUB_TOKEN=TOKEN,
                GITHUB_REPOSITORY="Codertocat/Hello-World",
                RUNNER_TEMP=str(self.runner_temp),
                GITHUB_API_URL=self.github.base_url,
                **{REMOTE_URL_OVERRIDE: str(self.remote)},
            )
        assert code == 0, stderr
        assert document["tests_accepted"] == 1, document["candidates"]
        return Run(document, outputs, stderr, (self.root / "summary.md").read_text(), digest)

    def branch(self) -> str:
        return git(self.remote, "rev-parse", f"refs/heads/{BRANCH}")


@dataclass
class Run:
    document: dict[str, object]
    outputs: str
    stderr: str
    summary: str
    checkout_before: str

    @property
    def notes(self) -> str:
        return "\n".join(str(note) for note in self.document["notes"])  # type: ignore[attr-defined]


def _pull_request(tmp_path: Path, model_server: ModelServer, github: GitHubMock) -> PullRequest:
    github.proxy.fail("GET", r"/.*", 401, "Bad credentials")  # github.com, to a token it lacks
    checkout = tmp_path / "shop"
    base, head = make_repo(checkout)
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(checkout), str(remote))
    git(remote, "branch", BRANCH, head)
    runner_temp, snapshot = tmp_path / "runner-temp", tmp_path / "snapshot"
    runner_temp.mkdir()
    snapshot.mkdir()
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\ncat >/dev/null\n"
        f"cp -R {shlex.quote(str(runner_temp))}/. {shlex.quote(str(snapshot))}/\n"
    )
    hook.chmod(0o755)
    return PullRequest(
        tmp_path, checkout, remote, base, head, runner_temp, snapshot, model_server, github
    )


@pytest.fixture
def pull_request(tmp_path: Path, model_server: ModelServer, github_api: GitHubApi) -> PullRequest:
    return _pull_request(tmp_path, model_server, github_api.mock)


@pytest.fixture(scope="module")
def pushed(
    tmp_path_factory: pytest.TempPathFactory, github_mock: GitHubMock
) -> Iterator[tuple[PullRequest, Run]]:
    """One run that pushes, shared by the tests that look at what it left behind."""
    server = ModelServer().start()
    github_mock.proxy.reset()
    try:
        pull_request = _pull_request(tmp_path_factory.mktemp("pushed"), server, github_mock)
        run = pull_request.run()
        assert github_mock.proxy.rejected == []  # as the github_api fixture checks its tests
        yield pull_request, run
    finally:
        server.stop()


def _files_containing(root: Path, *needles: str) -> list[Path]:
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and any(needle.encode() in path.read_bytes() for needle in needles)
    ]


def _pushed_sha_output(outputs: str) -> str:
    """The ``pushed_sha`` step output, which must be written exactly once."""
    assert outputs.count("\npushed_sha<<") + outputs.startswith("pushed_sha<<") == 1
    return parse_github_output(outputs)["pushed_sha"]


@pytest.mark.slow
def test_push_commits_only_the_generated_test_to_the_pull_request_branch(
    pushed: tuple[PullRequest, Run],
) -> None:
    pull_request, run = pushed
    pushed = pull_request.branch()
    assert run.document["pushed_sha"] == pushed != pull_request.head
    assert _pushed_sha_output(run.outputs) == pushed
    assert git(pull_request.remote, "rev-list", f"{pull_request.head}..{pushed}") == pushed
    assert git(pull_request.remote, "rev-parse", f"{pushed}^") == pull_request.head
    changed = git(pull_request.remote, "diff-tree", "--no-commit-id", "-r", "--name-status", pushed)
    assert changed == f"A\t{TEST_FILE}"
    bot = f"{BOT_NAME} <{BOT_EMAIL}>"
    assert git(pull_request.remote, "log", "-1", "--format=%an <%ae>|%cn <%ce>", pushed) == (
        f"{bot}|{bot}"
    )
    assert git(pull_request.remote, "log", "-1", "--format=%s", pushed) == (
        "test: add generated tests for src/shop/pricing.py (cicd-agent)"
    )
    added = git(pull_request.remote, "show", f"{pushed}:{TEST_FILE}")
    assert added.startswith("# Generated by cicd-agent gen-tests")
    assert candidate("good").strip() in added
    assert f"Committed 1 generated test file(s) to `{BRANCH}` as {pushed[:12]}" in run.notes
    assert pushed[:12] in run.summary
    # The patch is still delivered, and the user's checkout was not touched.
    assert Path(str(run.document["patch_path"])).read_text().count("new file mode") == 1
    assert tree_digest(pull_request.checkout) == run.checkout_before


@pytest.mark.slow
def test_the_token_is_never_written_down(pushed: tuple[PullRequest, Run]) -> None:
    pull_request, run = pushed
    assert run.document["pushed_sha"]
    # The hook copied the throwaway repository while the push was in flight; it is gone now.
    configs = list(pull_request.snapshot.glob("cicd-agent-push-*/.git/config"))
    assert len(configs) == 1
    assert not list(pull_request.runner_temp.glob("cicd-agent-push-*"))
    assert _files_containing(pull_request.snapshot, TOKEN, CREDENTIALS) == []
    assert _files_containing(pull_request.remote, TOKEN, CREDENTIALS) == []
    assert _files_containing(pull_request.checkout / ".git", TOKEN, CREDENTIALS) == []
    log = "\n".join(line for line in run.stderr.splitlines() if not line.startswith("::add-mask::"))
    for text in (json.dumps(run.document), log, run.outputs, run.summary):
        assert TOKEN not in text and CREDENTIALS not in text


@pytest.mark.slow
def test_a_fork_pull_request_pushes_nothing_and_says_why(pull_request: PullRequest) -> None:
    run = pull_request.run(fork=True)
    assert "pushed_sha" not in run.document
    assert _pushed_sha_output(run.outputs) == ""
    assert pull_request.branch() == pull_request.head
    assert "push was requested, but the pull request comes from a fork" in run.notes
    assert f"the accepted tests are in the patch file {run.document['patch_path']}" in run.notes
    assert list(pull_request.snapshot.iterdir()) == []  # nothing reached the remote


@pytest.mark.slow
def test_a_branch_that_moved_meanwhile_is_not_overwritten(pull_request: PullRequest) -> None:
    remote, head = pull_request.remote, pull_request.head
    moved = git(remote, "commit-tree", f"{head}^{{tree}}", "-p", head, "-m", "a later push")
    git(remote, "update-ref", f"refs/heads/{BRANCH}", moved)
    run = pull_request.run()
    assert pull_request.branch() == moved
    assert "pushed_sha" not in run.document
    assert f"the branch {BRANCH} is no longer at {head[:12]}" in run.notes
    assert "nothing was overwritten, the accepted tests are in the patch file" in run.notes


@pytest.mark.slow
def test_a_dry_run_pushes_nothing(pull_request: PullRequest) -> None:
    run = pull_request.run("--dry-run")
    assert pull_request.branch() == pull_request.head
    assert "pushed_sha" not in run.document
    assert "push was requested, but this is a dry run" in run.notes


# ------------------------------------------------------------- the parts, without a model


class _Recorder(BaseHTTPRequestHandler):
    """A git smart-HTTP endpoint that refuses everything and records what it was sent."""

    seen: list[tuple[str, str | None]]

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def git_server() -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    seen: list[tuple[str, str | None]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", seen
    finally:
        server.shutdown()
        server.server_close()


def _push_to(checkout: Path, head: str, url: str, scope: str, tmp_path: Path) -> Callable[[], str]:
    patch = tmp_path / "one.patch"
    patch.write_text(render_patch([AcceptedTest(TEST_FILE, "x", (), (), candidate("good"))]))
    environ = {"PATH": _path_env(), "HOME": str(tmp_path)}
    return lambda: commit_and_push(
        checkout,
        Remote(url=url, branch=BRANCH, lease=head, header_scope=scope),
        patch,
        message="test: add generated tests (cicd-agent)",
        env=git_environment(environ, TOKEN, scope),
        redact=lambda text: text.replace(TOKEN, "***"),
    )


def test_the_token_travels_only_as_a_header_to_its_own_server(
    tmp_path: Path, git_server: tuple[str, list[tuple[str, str | None]]]
) -> None:
    checkout = tmp_path / "shop"
    _, head = make_repo(checkout)
    server, seen = git_server
    push = _push_to(checkout, head, f"{server}octo/shop.git", server, tmp_path)
    with pytest.raises(GitHubWriteDenied, match=r"cannot push to pricing-rules.*403"):
        push()
    assert seen == [("/octo/shop.git/info/refs?service=git-receive-pack", f"basic {CREDENTIALS}")]
    seen.clear()
    elsewhere = _push_to(checkout, head, f"{server}octo/shop.git", "https://github.com/", tmp_path)
    with pytest.raises(GitHubWriteDenied):
        elsewhere()
    assert seen == [("/octo/shop.git/info/refs?service=git-receive-pack", None)]


def test_a_checkout_that_is_not_the_pull_request_head_is_refused(tmp_path: Path) -> None:
    checkout = tmp_path / "shop"
    base, head = make_repo(checkout)
    git(checkout, "checkout", "--quiet", base)
    payload = example("pull_request", "opened")
    payload["pull_request"]["head"].update(sha=head, ref=BRANCH)
    pull = load_event(write_event(tmp_path, payload), "pull_request").pull_request
    environ = {"PATH": _path_env(), "HOME": str(tmp_path)}

    def why(**overrides: object) -> str | None:
        given: dict[str, object] = {
            "dry_run": False,
            "pull": pull,
            "has_token": True,
            "checkout_head": lambda: checked_out_head(checkout, environ, str),
        }
        return refusal(**{**given, **overrides})  # type: ignore[arg-type]

    assert f"the checkout is at {base[:12]}, not at the pull request's head {head[:12]}" in str(
        why()
    )
    git(checkout, "checkout", "--quiet", head)
    assert why() is None
    assert "no GitHub token" in str(why(has_token=False))
    assert "not for a pull request" in str(why(pull=None))


def test_pushing_runs_no_hook_of_anyone_s_configuration(
    tmp_path: Path, git_server: tuple[str, list[tuple[str, str | None]]]
) -> None:
    """The commit is built in a throwaway repository, but git still read the user's
    configuration there: a ``core.hooksPath`` (or the checkout's own, which the pull request's
    build could write in the same job) ran ``post-index-change`` on ``read-tree``."""
    checkout = tmp_path / "shop"
    _, head = make_repo(checkout)
    marker, hooks = tmp_path / "ran.txt", tmp_path / "hooks"
    hooks.mkdir()
    for name in ("post-index-change", "reference-transaction", "pre-push", "post-commit"):
        (hooks / name).write_text(f"#!/bin/sh\necho {name} >> '{marker}'\n")
        (hooks / name).chmod(0o755)
    (tmp_path / ".gitconfig").write_text(f"[core]\n\thooksPath = {hooks}\n")
    git(checkout, "config", "core.hooksPath", str(hooks))
    server, _ = git_server
    with pytest.raises(GitHubWriteDenied):
        _push_to(checkout, head, f"{server}octo/shop.git", server, tmp_path)()
    assert not marker.exists(), marker.read_text()


def test_names_from_the_pull_request_make_no_reference_in_the_commit_we_push() -> None:
    """Attack: a module named ``Fixes #1`` put ``Fixes #1`` into the message of the commit we
    push; once merged, GitHub closes #1 (and ``@org/team`` in a name mentions it)."""
    accepted = [
        AcceptedFile(path="tests/test_fixes_1.py", target="src/Fixes #1.py::f", gained="+2 lines"),
        AcceptedFile(path="tests/test_gh.py", target="src/GH-2 @org/team.py::g", gained="+1 line"),
    ]
    message = commit_message(accepted)
    assert not re.search(r"(?i)(#|\bgh-)\d|@[\w-]", message), message
    assert "src/Fixes #\u200b1.py" in message  # the name is still there to read


def test_attack_a_name_from_the_pull_request_forges_no_trailer_in_the_commit_we_push() -> None:
    """A module whose name holds a line break and ``Signed-off-by:`` made that line one of the
    trailers of the commit we push (git reads the last paragraph's ``Token: value`` lines)."""
    forged = "src/a\nSigned-off-by: Eve <eve@example.com>\nb.py::f"
    message = commit_message([AcceptedFile(path="tests/test_a.py", target=forged, gained="+2")])
    trailers = subprocess.run(["git", "interpret-trailers", "--parse"], input=message,
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert trailers == "", message
    assert message.startswith("test: add generated tests for src/a Signed-off-by")  # one line
