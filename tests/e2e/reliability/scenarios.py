"""Shared setup of the reliability tests: a small real project per mode, its real webhook event,
and one way to run a mode through ``cicd_agent.cli.main`` that records everything the run wrote
(outputs, summary, log, files) and everything it sent (GitHub requests through the validating
mock's proxy, chat requests to the local model server).

The matrix, secrets, injection and idempotence tests all drive modes through :class:`ModeRunner`,
so each of them checks the same surfaces in the same way.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cicd_agent.cli import main
from tests.git_builder import GitRepoBuilder
from tests.harness import payloads
from tests.harness.action_runner import parse_github_output
from tests.harness.github_mock import GitHubApi
from tests.harness.github_proxy import Recorded
from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest
from tests.helpers.gen_tests import gate_reruns, path_env

MODEL = "gpt-4o-mini"
WEEKDAY_NOON = "2026-11-18T12:00:00+00:00"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Outputs that name a file the mode wrote: their contents are part of what a run produced.
FILE_OUTPUTS = ("sarif_file", "audit_file", "patch_path", "excerpt_file")
MODEL_TIMEOUT = 0.4
"""Seconds per model request when the fault is a hung model: short, so the hang costs little
wall time, and it fires however loaded the machine."""
HUNG = 86_400.0
"""Seconds the hung model holds each request: never within a test (the stand-in abandons it when
it stops), so no load makes its answer arrive before :data:`MODEL_TIMEOUT` fires."""
ANSWER_TIMEOUT = 300.0
"""Seconds per model request for every other cell: whatever the stand-in model answers (a 429,
a 500, a refusal) arrives long before it on a machine under any load, so the cell checks the
fault, never the machine's speed (0.4 s ran out before a 429 at load 12)."""


@dataclass
class Outcome:
    """What one run of a mode did, from the outside."""

    code: int
    outputs: dict[str, str]
    summary: str
    stdout: str
    stderr: str
    github: list[Recorded]
    prompts: list[RecordedRequest]
    files: dict[str, str] = field(default_factory=dict)

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    def writes(self) -> list[Recorded]:
        """Every mutating request this run sent to GitHub, whatever GitHub answered."""
        return [r for r in self.github if r.method in WRITE_METHODS]

    def prompt_text(self) -> str:
        return "\n\n".join(request.text() for request in self.prompts)

    def sent_bodies(self) -> str:
        """Every request body this run sent to GitHub, as text."""
        return "\n".join(r.body.decode("utf-8", "replace") for r in self.github if r.body)

    def surfaces(self) -> dict[str, str]:
        """Every place a run leaves text a person or a later job can read, by name."""
        found = {
            "outputs": "\n".join(f"{k}={v}" for k, v in self.outputs.items()),
            "summary": self.summary,
            "log": "\n".join(
                line for line in self.log.splitlines() if not line.startswith("::add-mask::")
            ),
            "github requests": self.sent_bodies(),
            "prompts": self.prompt_text(),
        }
        found.update({f"file {name}": text for name, text in self.files.items()})
        return found


def posted_twice(outcome: Outcome) -> list[str]:
    """Things published more than once in one run: a second summary comment, check run, commit
    comment or (non-pending) review on the same target. Review's pending probes of single
    comments are not publications: they carry no ``event`` and are deleted at once."""
    seen: dict[str, int] = {}
    for request in outcome.writes():
        if request.method != "POST" or request.status >= 400:
            continue
        body = request.json() if request.body else {}
        if request.api_path.endswith("/reviews") and "event" not in body:
            continue
        key = publication(request)
        seen[key] = seen.get(key, 0) + 1
    return [f"{path} ×{count}" for path, count in seen.items() if count > 1]


_MARKER = re.compile(r"<!-- cicd-agent:([\w.:/@+-]+) -->\s*$")


def publication(request: Recorded) -> str:
    """What a write publishes: its path, and for a comment the marker ending its body (the
    command's reply and review's summary comment share the conversation's path)."""
    body = request.json() if request.body else {}
    text = body.get("body") if isinstance(body, dict) else None
    found = _MARKER.search(text) if isinstance(text, str) else None
    return f"{request.api_path}#{found.group(1)}" if found else request.api_path


def retried_posts(outcome: Outcome) -> list[str]:
    """POSTs repeated after GitHub answered 5xx: GitHub may have done the first one already."""
    failed = [r for r in outcome.writes() if r.method == "POST" and r.status >= 500]
    return [
        r.api_path
        for r in failed
        if sum(1 for o in outcome.writes() if o.method == "POST" and o.api_path == r.api_path) > 1
    ]


class ModeRunner:
    """Runs modes in-process the way the runner would, one fresh output folder per run."""

    def __init__(
        self,
        root: Path,
        *,
        github: GitHubApi | None = None,
        model: ModelServer | None = None,
    ) -> None:
        self.root = root
        self.github = github
        self.model = model
        self.runs = 0
        self.model_timeout = ANSWER_TIMEOUT

    def environ(self, folder: Path) -> dict[str, str]:
        """The runner's variables for one run (no token unless the GitHub mock is in use)."""
        env = {
            "PATH": path_env(),
            "HOME": str(folder / "home"),
            "LANG": "C.UTF-8",
            "GITHUB_OUTPUT": str(folder / "output"),
            "GITHUB_STEP_SUMMARY": str(folder / "summary.md"),
            "RUNNER_TEMP": str(folder / "runner_temp"),
            "GITHUB_SERVER_URL": "https://github.com",
        }
        if "TIKTOKEN_CACHE_DIR" in os.environ:
            env["TIKTOKEN_CACHE_DIR"] = os.environ["TIKTOKEN_CACHE_DIR"]
        if self.github is not None:
            env.update(self.github.env())
        if self.model is not None:
            env["OPENAI_API_KEY"] = TEST_API_KEY
        return env

    def model_flags(self) -> list[str]:
        if self.model is None:
            return ["--provider", "none"]
        return [
            "--provider",
            "openai",
            "--base-url",
            self.model.base_url,
            "--model",
            MODEL,
            "--fast-model",
            MODEL,
            "--model-timeout",
            str(self.model_timeout),
        ]

    def run(
        self,
        mode: str,
        argv: Sequence[str] = (),
        *,
        event: Path | None = None,
        event_name: str | None = None,
        workspace: Path | None = None,
        env: Mapping[str, str] | None = None,
        drop_env: Sequence[str] = (),
    ) -> Outcome:
        """Run ``cicd-agent MODE`` with the model flags, ``argv`` and the runner environment."""
        self.runs += 1
        folder = self.root / f"run-{self.runs}"
        for sub in ("home", "runner_temp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        environ = self.environ(folder)
        if event is not None:
            environ["GITHUB_EVENT_PATH"] = str(event)
        if event_name is not None:
            environ["GITHUB_EVENT_NAME"] = event_name
        if workspace is not None:
            environ["GITHUB_WORKSPACE"] = str(workspace)
        environ.update(env or {})
        for name in drop_env:
            environ.pop(name, None)
        github_before = len(self.github.proxy.requests) if self.github else 0
        model_before = len(self.model.chat_requests) if self.model else 0
        stdout, stderr = io.StringIO(), io.StringIO()
        # These runs test faults, secrets, injected text and re-runs, never a flaky candidate
        # (test_gen_tests_cli.py's scenario does): an accepted one is rerun once, not five times.
        with gate_reruns(1):
            code = main(
                [mode, *self.model_flags(), *argv], environ=environ, stdout=stdout, stderr=stderr
            )
        output_file, summary_file = folder / "output", folder / "summary.md"
        outputs = parse_github_output(output_file.read_text()) if output_file.exists() else {}
        outcome = Outcome(
            code=code,
            outputs=outputs,
            summary=summary_file.read_text() if summary_file.exists() else "",
            stdout=stdout.getvalue(),
            stderr=stderr.getvalue(),
            github=self.github.proxy.requests[github_before:] if self.github else [],
            prompts=self.model.chat_requests[model_before:] if self.model else [],
        )
        for name in FILE_OUTPUTS:
            path = Path(outputs[name]) if outputs.get(name) else None
            if path is not None and path.is_file():
                outcome.files[name] = path.read_text(encoding="utf-8", errors="replace")
        return outcome


# ------------------------------------------------------------------------------ projects


@dataclass(frozen=True)
class Project:
    """A mode's project: a real repository, the range under test and its event."""

    repo: GitRepoBuilder
    base: str
    head: str
    event: Path
    event_name: str
    argv: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        return self.repo.path


APP = "".join(f"line_{n} = {n}\n" for n in range(1, 61))
ORDERS = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(20))
CALC_BASE = "def add(a, b):\n    return a + b\n"
CALC_HEAD = CALC_BASE + (
    "\n\ndef clamp(value, low, high):\n"
    "    if value < low:\n        return low\n"
    "    if value > high:\n        return high\n"
    "    return value\n"
)
CALC_TEST = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


def pull_request_event(
    folder: Path,
    base: str,
    head: str,
    *,
    title: str | None = None,
    body: str | None = None,
    head_ref: str | None = None,
    name: str = "pull_request.json",
) -> Path:
    """The real ``pull_request`` ``opened`` example, pointed at ``base``/``head``."""
    payload = payloads.example("pull_request", "opened")
    pull = payload["pull_request"]
    pull["head"]["sha"], pull["base"]["sha"] = head, base
    if title is not None:
        pull["title"] = title
    if body is not None:
        pull["body"] = body
    if head_ref is not None:
        pull["head"]["ref"] = head_ref
    folder.mkdir(parents=True, exist_ok=True)
    return payloads.write_event(folder, payload, name)


def push_event(folder: Path, before: str, after: str, *, name: str = "push.json") -> Path:
    """The real ``push`` example, pointed at ``before``/``after`` on ``main``."""
    payload = payloads.example("push")
    payload.update(before=before, after=after, ref="refs/heads/main", created=False)
    folder.mkdir(parents=True, exist_ok=True)
    return payloads.write_event(folder, payload, name)


def review_project(
    root: Path,
    *,
    extra: Mapping[str, str | bytes] | None = None,
    message: str = "compute line 30",
    title: str | None = None,
    body: str | None = None,
    head_ref: str | None = None,
) -> Project:
    """A pull request with a left-over debugger call: a high deterministic finding."""
    repo = GitRepoBuilder(root / "review")
    _team_history(repo)
    base = repo.commit("base", {"src/app.py": APP, "src/util.py": "def util():\n    return 1\n"})
    edited = APP.replace("line_30 = 30\n", "import pdb\npdb.set_trace()\nline_30 = compute(30)\n")
    head = repo.commit(message, {"src/app.py": edited, **(extra or {})})
    event = pull_request_event(
        root / "events", base, head, title=title, body=body, head_ref=head_ref
    )
    return Project(repo, base, head, event, "pull_request")


def deploy_project(
    root: Path, *, extra: Mapping[str, str | bytes] | None = None, message: str = "Cache orders"
) -> Project:
    """A push to main that changes one source file (a targeted test run, medium risk: its
    author is new to a repository three others have worked on)."""
    repo = GitRepoBuilder(root / "deploy")
    _team_history(repo)
    base = repo.commit(
        "Initial",
        {"src/shop/orders.py": ORDERS, "tests/test_orders.py": "def test_x():\n    pass\n"},
    )
    head = repo.commit(message, {"src/shop/orders.py": ORDERS + "CACHE = {}\n", **(extra or {})})
    event = push_event(root / "events", base, head)
    return Project(repo, base, head, event, "push", ("--deploy-time", WEEKDAY_NOON))


def _team_history(repo: GitRepoBuilder, commits: int = 60) -> None:
    """Earlier notes by three other authors, in one ``git fast-import``: experience is judged
    against the repository's other authors, so a newcomer needs some to be new among."""
    parts: list[bytes] = []
    for index in range(commits):
        who = f"Dev {index % 3} <dev{index % 3}@example.com> {1_600_000_000 + index * 3600} +0000"
        message, content = f"Notes {index}".encode(), f"note {index}\n".encode()
        parts += [
            b"commit refs/heads/main\n", f"author {who}\n".encode(),
            f"committer {who}\n".encode(), f"data {len(message)}\n".encode(), message, b"\n",
            f"M 100644 inline docs/notes{index % 5}.md\n".encode(),
            f"data {len(content)}\n".encode(), content, b"\n",
        ]  # fmt: skip
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo.path, input=b"".join(parts), check=True
    )
    repo.git("reset", "-q", "--hard", "main")


def gentests_project(
    root: Path,
    *,
    extra: Mapping[str, str | bytes] | None = None,
    message: str = "clamp",
    title: str | None = None,
    body: str | None = None,
) -> Project:
    """A pull request adding ``clamp`` without tests: one uncovered segment, a fast suite."""
    repo = GitRepoBuilder(root / "calc")
    base = repo.commit(
        "calc",
        {
            "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
            "src/calc/__init__.py": CALC_BASE,
            "tests/test_calc.py": CALC_TEST,
        },
    )
    head = repo.commit(message, {"src/calc/__init__.py": CALC_HEAD, **(extra or {})})
    event = pull_request_event(root / "events", base, head, title=title, body=body)
    return Project(repo, base, head, event, "pull_request")


CLAMP_TEST = (
    "from calc import clamp\n\n\n"
    "def test_clamp_bounds():\n"
    "    assert clamp(-5, 0, 10) == 0\n"
    "    assert clamp(50, 0, 10) == 10\n"
    "    assert clamp(5, 0, 10) == 5\n"
)


def good_answer(mode: str) -> dict[str, Any]:
    """A plain, schema-valid answer for ``mode`` that agrees with the deterministic result."""
    if mode in ("review", "command"):  # the command's default comment runs a review
        return {"summary": "Computes line 30.", "verdict": "comment", "findings": []}
    if mode == "deploy-gate":
        return {
            "risk_factors": ["the orders cache is never invalidated"],
            "risk_level": "low",
            "pre_deploy_checks": ["run the orders tests"],
            "monitoring_focus": ["orders latency"],
            "confidence": 0.8,
        }
    if mode == "gen-tests":
        return {"test_module": CLAMP_TEST, "rationale": "both bounds and the middle"}
    return {
        "root_cause": "test_add_small_numbers asserts 5 == 6.",
        "failure_type": "test_failure",
        "responsible_files": ["tests/test_failing.py"],
        "responsible_commit": None,
        "fix": {"type": "test", "description": "Fix the expectation."},
        "confidence": 0.7,
        "is_flaky": False,
        "flaky_evidence": [],
    }


GHOST_FILE = "src/ghost/phantom_module.py"
GHOST_LINE = 4242
GHOST_SHA = "0badc0de" * 5


def phantom_answer(mode: str) -> dict[str, Any]:
    """A schema-valid answer that names files, lines and commits that do not exist."""
    if mode in ("review", "command"):
        finding = {
            "start_line": None,
            "severity": "critical",
            "category": "correctness",
            "body": "Phantom.",
            "replacement": None,
            "confidence": 0.9,
        }
        return {
            "summary": "Found problems.",
            "verdict": "request_changes",
            "findings": [
                {**finding, "path": GHOST_FILE, "line": 3, "title": "Phantom file finding"},
                {**finding, "path": "src/app.py", "line": GHOST_LINE, "title": "Phantom line"},
            ],
        }
    if mode == "deploy-gate":
        return {
            **good_answer(mode),
            "risk_factors": [f"{GHOST_FILE}:{GHOST_LINE} drops the orders table"],
        }
    if mode == "gen-tests":
        module = (
            "from calc.phantom_module import vanish\n\n\n"
            "def test_vanish():\n    assert vanish(1) == 1\n"
        )
        return {"test_module": module, "rationale": "tests a helper"}
    return {
        **good_answer(mode),
        "responsible_files": [f"{GHOST_FILE}:{GHOST_LINE}"],
        "responsible_commit": GHOST_SHA,
    }
