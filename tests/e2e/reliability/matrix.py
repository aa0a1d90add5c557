"""The fault matrix: for every mode and every fault, what a user must see.

This is the single source of the matrix. ``test_matrix.py`` drives every cell through
``cicd_agent.cli.main`` with the real HTTP paths (the local model server, GitHub's validating mock
behind the scripting proxy) and checks it; ``tools/readme_tables.py`` renders it as the README's
"Reliability" table, so the documentation cannot drift from what is tested.

Standard library only: the README tool loads this file by path, without the test tree.

A cell states:

* ``exit_code``: the documented exit code (README, "Exit codes"); None when the fault cannot
  reach the mode (e.g. a logs zip for review), with ``behaviour`` saying why;
* ``message``: fragments of the one clear message the job summary must contain;
* ``outputs``: step outputs that must still be written: an exact value, ``*`` (present and not
  empty), or ``~text`` (contains ``text``);
* ``publish``: what GitHub must have received: ``all`` (each of the mode's publications exactly
  once), ``none`` (no write at all), ``refused`` (writes tried, every one refused) or
  ``partial`` (some writes refused, every other publication made exactly once); a refused
  write's status is always named in the summary;
* ``absent``: text that must appear nowhere a person or a later job reads (invented files…);
* ``reply``: fragments the command mode's reply comment must contain (it has no other place
  a person reads its answer in);
* ``offline``: run with ``--provider none`` (input faults that do not involve the model);
* ``xfail``: set when the cell fails because of a known bug, with the bug; the test then runs as
  ``xfail(strict=True)``, so fixing the bug makes it fail until this is cleared.

Every cell, whatever its fields, is also checked for: no traceback and no "internal error",
an ``::error`` annotation when the exit code is not 0, nothing posted twice, no POST repeated
after a 5xx, and every refused write named in the summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

MODES = ("review", "deploy-gate", "gen-tests", "analyse-failure", "command")


@dataclass(frozen=True)
class Fault:
    key: str
    group: str
    label: str


FAULTS = (
    Fault("model_429", "model", "429 that persists"),
    Fault("model_500", "model", "500"),
    Fault("model_timeout", "model", "timeout"),
    Fault("model_invalid_json", "model", "invalid JSON"),
    Fault("model_refusal", "model", "refusal"),
    Fault("model_length", "model", '`finish_reason` "length"'),
    Fault("model_empty", "model", "empty answer"),
    Fault(
        "model_phantom_refs",
        "model",
        "schema-valid answer naming files and lines that do not exist",
    ),
    Fault("github_401", "GitHub", "401 on every call"),
    Fault("github_403_read_only", "GitHub", "403 on writes (read-only token, fork)"),
    Fault("github_404", "GitHub", "404 on every call"),
    Fault("github_422", "GitHub", "422 on writes"),
    Fault("github_5xx", "GitHub", "502 on every call"),
    Fault("github_5xx_midway", "GitHub", "502 after a first write succeeded"),
    Fault("github_secondary_rate_limit", "GitHub", "secondary rate limit (403, `retry-after: 60`)"),
    Fault("event_missing", "input", "event file missing"),
    Fault("event_malformed", "input", "event file not JSON"),
    Fault("event_unusable", "input", "an event the mode cannot use (`issues`)"),
    Fault("token_missing", "input", "no GitHub token"),
    Fault("shallow_clone", "input", "shallow clone without the base commit"),
    Fault("diff_100mb", "input", "a 100 MB diff"),
    Fault("binary_files", "input", "binary files"),
    Fault("logs_non_utf8", "input", "non-UTF-8 logs"),
    Fault("logs_zip_empty", "input", "empty logs zip"),
    Fault("logs_zip_corrupt", "input", "corrupt logs zip"),
    Fault("coverage_foreign", "input", "a coverage report from another tree"),
)
FAULT_KEYS = tuple(fault.key for fault in FAULTS)


@dataclass(frozen=True)
class Cell:
    mode: str
    fault: str
    exit_code: int | None
    behaviour: str
    message: tuple[str, ...] = ()
    outputs: Mapping[str, str] = field(default_factory=dict)
    publish: str = "none"
    absent: tuple[str, ...] = ()
    reply: tuple[str, ...] = ()
    offline: bool = False
    xfail: str | None = None

    @property
    def id(self) -> str:
        return f"{self.mode}:{self.fault}"

    @property
    def applies(self) -> bool:
        return self.exit_code is not None


def _outputs(*parts: Mapping[str, str], **more: str) -> Mapping[str, str]:
    merged: dict[str, str] = {}
    for part in parts:
        merged.update(part)
    merged.update(more)
    return MappingProxyType(merged)


# What each mode decides on its own for the fixture projects (scenarios.py): the deterministic
# verdict a fault must leave standing.
REVIEW = _outputs(decision="comment", high_count="1", critical_count="0", sarif_file="*")
DEPLOY = _outputs(recommendation="proceed", risk_level="low", strategy="direct", audit_file="*")
DEPLOY_HOLD = _outputs(recommendation="hold", requires_approval="true", audit_file="*", error="*")
GEN_TESTS = _outputs(tests_accepted="0", patch_path="", coverage_before="25.00")
GEN_TESTS_NONE = _outputs(tests_generated="0", tests_accepted="0", patch_path="", error="*")
ROOT_CAUSE = "FAILED tests/test_failing.py::test_add_small_numbers - assert 5 == 6"
ANALYSIS = _outputs(
    failure_type="test_failure", root_cause=ROOT_CAUSE, is_flaky="false", excerpt_file="*"
)
USAGE = _outputs(error="*", tokens_used="0")

MODEL_REASONS = {
    "model_429": "rate limited the request (HTTP 429",
    "model_500": "answered HTTP 500",
    "model_timeout": "did not finish answering within",
    "model_invalid_json": "did not fit the",
    "model_refusal": "the model refused",
    "model_length": "cut off at the output limit",
    "model_empty": "returned an empty answer",
}
GHOST_FILE = "src/ghost/phantom_module.py"
GHOST_SHA = "0badc0de" * 5


def _model_cells() -> list[Cell]:
    cells = []
    for fault, reason in MODEL_REASONS.items():
        stands = ("the deterministic result stands", reason)
        cells += [
            Cell(
                "review",
                fault,
                0,
                "deterministic review posted, model failure noted",
                stands,
                _outputs(REVIEW, review_url="*"),
                "all",
            ),
            Cell(
                "deploy-gate",
                fault,
                0,
                "deterministic decision, `model` signal missing",
                stands,
                _outputs(DEPLOY, missing_signals="~model"),
            ),
            Cell(
                "gen-tests",
                fault,
                0,
                "generation stops, gaps reported, nothing accepted",
                ("Generation stopped early: the model failed", reason),
                _outputs(GEN_TESTS, tests_generated="0"),
            ),
            Cell(
                "analyse-failure",
                fault,
                0,
                "deterministic analysis posted, model failure noted",
                stands,
                _outputs(ANALYSIS, comment_url="*"),
                "all",
            ),
        ]
    cells += [
        Cell(
            "review",
            "model_phantom_refs",
            0,
            "invented findings dropped, never counted",
            ("2 model finding(s) named files or lines not in the diff",),
            _outputs(REVIEW, findings_count="1"),
            "all",
            absent=(GHOST_FILE, "Phantom file finding", "Phantom line"),
        ),
        Cell(
            "deploy-gate",
            "model_phantom_refs",
            0,
            "shown as the model's words; the deterministic verdict stands",
            ("Proceed directly: low risk",),
            DEPLOY,
        ),
        Cell(
            "gen-tests",
            "model_phantom_refs",
            0,
            "candidates rejected at the imports stage",
            ("no candidate passed the gate in 3 attempt(s)",),
            _outputs(GEN_TESTS, tests_generated="3"),
        ),
        Cell(
            "analyse-failure",
            "model_phantom_refs",
            0,
            "invented files and commit dropped",
            ("The run failed with a test failure",),
            _outputs(ANALYSIS, comment_url="*"),
            "all",
            absent=(GHOST_FILE, GHOST_SHA),
        ),
    ]
    return cells


GITHUB_MESSAGES = {
    "github_401": ("GitHub rejected the token (401 Bad credentials)",),
    "github_404": ("GitHub answered 404 (Not Found)",),
    "github_5xx": ("GitHub answered 502 (Server Error)",),
    "github_secondary_rate_limit": ("GitHub rate-limited", "(403) and asked to wait 60 s"),
}


def _github_cells() -> list[Cell]:
    cells = []
    untouched = "never calls GitHub"
    for fault in (*GITHUB_MESSAGES, "github_403_read_only", "github_422"):
        cells.append(
            Cell(
                "gen-tests",
                fault,
                0,
                untouched,
                ("no model is configured",),
                GEN_TESTS,
                offline=True,
            )
        )
    for fault, (lead, *detail) in GITHUB_MESSAGES.items():
        cells += [
            Cell(
                "review",
                fault,
                3,
                "outputs, SARIF and summary written; publishing failed",
                (f"Publishing to GitHub failed: {lead}", *detail),
                _outputs(REVIEW, review_url=""),
                "refused",
            ),
            Cell(
                "deploy-gate",
                fault,
                0,
                "review signal missing, never counted as green",
                (f"Review decisions unavailable: {lead}", *detail),
                _outputs(DEPLOY, missing_signals="~review"),
            ),
            Cell(
                "analyse-failure",
                fault,
                3,
                "stops before the logs; the error says why",
                (lead, *detail),
                USAGE,
            ),
        ]
    read_only = "Give the job the permission it needs"
    cells += [
        Cell(
            "review",
            "github_403_read_only",
            0,
            "nothing posted; summary says what was skipped",
            ("Skipped posting the review", read_only),
            _outputs(REVIEW, review_url=""),
            "refused",
        ),
        Cell(
            "deploy-gate",
            "github_403_read_only",
            0,
            "only reads: unaffected",
            ("Proceed directly",),
            DEPLOY,
        ),
        Cell(
            "analyse-failure",
            "github_403_read_only",
            0,
            "nothing posted; summary says so",
            ("Skipped commenting on commit", read_only),
            _outputs(ANALYSIS, comment_url=""),
            "refused",
        ),
        Cell(
            "review",
            "github_5xx_midway",
            3,
            "review and summary comment posted once; exit 3 names the check run",
            ("Publishing to GitHub failed: GitHub answered 502", "check run"),
            _outputs(REVIEW, review_url="*"),
            "partial",
        ),
        Cell(
            "review",
            "github_422",
            3,
            "inline comments retried in the body once, then exit 3",
            ("Publishing to GitHub failed: GitHub answered 422",),
            _outputs(REVIEW, review_url=""),
            "refused",
        ),
        Cell(
            "deploy-gate",
            "github_422",
            0,
            "only reads: unaffected",
            ("Proceed directly",),
            DEPLOY,
        ),
        Cell(
            "analyse-failure",
            "github_422",
            3,
            "analysis in outputs and summary; exit 3",
            ("Publishing to GitHub failed: GitHub answered 422",),
            _outputs(ANALYSIS, comment_url=""),
            "refused",
        ),
    ]
    return cells


def _input_cells() -> list[Cell]:
    no_file, not_json = ("does not exist",), ("is not valid JSON",)
    no_logs = ("There are no logs to analyse",)
    cells = []
    for fault, message in (("event_missing", no_file), ("event_malformed", not_json)):
        cells += [
            Cell("review", fault, 2, "usage error naming the file", message, USAGE),
            Cell(
                "deploy-gate", fault, 2, "fails closed: `recommendation=hold`", message, DEPLOY_HOLD
            ),
            Cell("gen-tests", fault, 2, "usage error; nothing accepted", message, GEN_TESTS_NONE),
            Cell("analyse-failure", fault, 2, "usage error naming the file", message, USAGE),
        ]
    shallow = ("fetch-depth: 0",)
    cells += [
        Cell(
            "review",
            "event_unusable",
            2,
            "usage error: needs a pull request",
            ("review needs a pull request or a base commit; got a issues event",),
            USAGE,
        ),
        Cell(
            "deploy-gate",
            "event_unusable",
            0,
            "judges the checked-out head, says so",
            ("base is the first parent of",),
            DEPLOY,
        ),
        Cell(
            "gen-tests",
            "event_unusable",
            2,
            "usage error: needs a change to cover",
            ("gen-tests needs the change to cover",),
            GEN_TESTS_NONE,
        ),
        Cell(
            "analyse-failure",
            "event_unusable",
            2,
            "usage error: nothing to analyse",
            no_logs,
            USAGE,
        ),
        Cell(
            "review",
            "token_missing",
            0,
            "review in outputs, annotations and summary only",
            ("No GitHub token",),
            _outputs(REVIEW, review_url=""),
        ),
        Cell(
            "deploy-gate",
            "token_missing",
            0,
            "review signal missing, never counted as green",
            ("No GitHub token",),
            _outputs(DEPLOY, missing_signals="~review"),
        ),
        Cell(
            "gen-tests",
            "token_missing",
            0,
            "needs no token: unaffected",
            ("no model is configured",),
            GEN_TESTS,
            offline=True,
        ),
        Cell(
            "analyse-failure",
            "token_missing",
            2,
            "usage error: needs a token or `--logs`",
            no_logs,
            USAGE,
        ),
        Cell(
            "review",
            "shallow_clone",
            0,
            "diff read from the API instead, says so",
            ("the diff was read from the GitHub API",),
            _outputs(REVIEW, review_url="*"),
            "all",
        ),
        Cell(
            "deploy-gate",
            "shallow_clone",
            2,
            "fails closed: `recommendation=hold`",
            ("The base commit", *shallow),
            DEPLOY_HOLD,
        ),
        Cell(
            "gen-tests",
            "shallow_clone",
            2,
            "usage error naming the missing commit",
            ("The base commit", *shallow),
            GEN_TESTS_NONE,
        ),
        Cell(
            "analyse-failure",
            "shallow_clone",
            0,
            "analysis without the change, says so",
            ("The change under test could not be read from git",),
            _outputs(ANALYSIS, comment_url="*"),
            "all",
        ),
        Cell(
            "review",
            "diff_100mb",
            0,
            "prompts within budget; files that did not fit named",
            ("`data/dump_00.sql` (over budget)",),
            _outputs(REVIEW, risk_level="high"),
            "all",
        ),
        Cell(
            "deploy-gate",
            "diff_100mb",
            0,
            "at least high risk, approval required; prompt in budget",
            ("lines changed (+",),
            _outputs(risk_level="high", requires_approval="true", audit_file="*"),
        ),
        Cell(
            "gen-tests",
            "diff_100mb",
            0,
            "data files are not targets; the Python change is",
            ("no model is configured",),
            GEN_TESTS,
            offline=True,
        ),
        Cell(
            "analyse-failure",
            "diff_100mb",
            0,
            "change under test read; prompt in budget",
            ("The run failed with a test failure",),
            _outputs(ANALYSIS, comment_url="*"),
            "all",
        ),
        Cell(
            "review",
            "binary_files",
            0,
            "binaries named, never sent as text",
            ("2 binary file(s) changed",),
            _outputs(REVIEW, review_url="*"),
            "all",
        ),
        Cell(
            "deploy-gate",
            "binary_files",
            0,
            "binaries counted as a risk signal",
            ("2 binary file(s) changed",),
            _outputs(recommendation="proceed", audit_file="*"),
        ),
        Cell(
            "gen-tests",
            "binary_files",
            0,
            "binaries are not targets: unaffected",
            ("no model is configured",),
            GEN_TESTS,
            offline=True,
        ),
        Cell(
            "analyse-failure",
            "binary_files",
            0,
            "binary bytes in a log: error still found",
            ("The run failed with a test failure",),
            _outputs(ANALYSIS, comment_url="*"),
            "all",
        ),
        Cell(
            "analyse-failure",
            "logs_non_utf8",
            0,
            "decoded with replacement; error found",
            ("The run failed with a test failure",),
            _outputs(ANALYSIS, root_cause=f"~{ROOT_CAUSE}"),
            "all",
        ),
        Cell(
            "analyse-failure",
            "logs_zip_empty",
            3,
            "failed jobs from the API; exit 3, no comment",
            ("holds no job logs",),
            _outputs(failure_type="unknown", failed_jobs="~Run tests"),
        ),
        Cell(
            "analyse-failure",
            "logs_zip_corrupt",
            3,
            "failed jobs from the API; exit 3, no comment",
            ("is not a readable zip archive",),
            _outputs(failure_type="unknown", failed_jobs="~Run tests"),
        ),
        Cell(
            "deploy-gate",
            "coverage_foreign",
            0,
            "coverage signal left out, says why",
            ("describes another tree",),
            _outputs(DEPLOY, missing_signals="~coverage"),
        ),
    ]
    return cells


# The command mode: a member's `/cicd-agent review` comment (review's outputs and publications,
# then the reply), or `/cicd-agent ask …` for the model faults (the question is its one model
# call; `review` would only repeat review's own cells).
RAN = _outputs(REVIEW, command="review", command_status="ran", head_sha="*", reply_url="*")
ANSWERED = _outputs(command="ask", command_status="answered", head_sha="*", reply_url="*")
COMMAND_FAILED = _outputs(command_status="failed", error="*")
RAN_REVIEW = ("Ran `review` at commit",)


def _command_cells() -> list[Cell]:
    cells = [
        Cell(
            "command",
            fault,
            0,
            "`ask` answered with what the deterministic review knows; failure noted",
            ("The model gave no usable answer", reason),
            ANSWERED,
            "reply",
            reply=("The model gave no usable answer.", "What the deterministic review knows"),
        )
        for fault, reason in MODEL_REASONS.items()
    ]
    stops = "stops at the writer's permission check: nothing run, no reaction, no reply"
    cells += [
        Cell(
            "command",
            "model_phantom_refs",
            0,
            "the review it runs drops invented findings",
            ("2 model finding(s) named files or lines not in the diff",),
            _outputs(RAN, findings_count="1"),
            "all",
            absent=(GHOST_FILE, "Phantom file finding", "Phantom line"),
            reply=RAN_REVIEW,
        ),
        Cell(
            "command",
            "github_401",
            3,
            stops,
            (
                "GitHub rejected the token (401 Bad credentials) while reading the repository permission of",
            ),
            COMMAND_FAILED,
            "none",
        ),
        Cell(
            "command",
            "github_404",
            3,
            "the writer's permission reads as none (404): refused, nothing run; the polite reply fails",
            (
                "Refused `review`: its writer has no write access",
                "GitHub answered 404 (Not Found) while listing the comments on #2",
            ),
            _outputs(
                command="review", command_status="refused", head_sha="", reply_url="", error="*"
            ),
            "none",
        ),
        Cell(
            "command",
            "github_422",
            3,
            "stops at the acknowledging reaction: nothing run, no reply",
            ("GitHub answered 422 (Validation Failed) while reacting",),
            COMMAND_FAILED,
            "refused",
        ),
        Cell(
            "command",
            "github_5xx",
            3,
            stops,
            ("GitHub answered 502 (Server Error) while reading the repository permission of",),
            COMMAND_FAILED,
            "none",
        ),
        Cell(
            "command",
            "github_secondary_rate_limit",
            3,
            stops,
            (
                "GitHub rate-limited reading the repository permission of",
                "(403) and asked to wait 60 s",
            ),
            COMMAND_FAILED,
            "none",
        ),
        Cell(
            "command",
            "github_403_read_only",
            0,
            "review in outputs and summary; reaction, review and reply skipped, says so",
            ("Skipped posting the review", "Skipped replying on #2", "the permission it needs"),
            _outputs(RAN, review_url="", reply_url=""),
            "refused",
        ),
        Cell(
            "command",
            "github_5xx_midway",
            3,
            "review and its comment posted once; the reply says the check run failed",
            ("Publishing to GitHub failed: GitHub answered 502", "check run"),
            _outputs(REVIEW, command_status="failed", review_url="*", reply_url="*"),
            "partial",
            reply=(*RAN_REVIEW, "GitHub answered 502"),
        ),
    ]
    for fault, message in (
        ("event_missing", ("does not exist",)),
        ("event_malformed", ("is not valid JSON",)),
        ("event_unusable", ("needs a issue_comment or pull_request_review_comment event",)),
        ("token_missing", ("needs a GitHub token to read pull request",)),
    ):
        cells.append(Cell("command", fault, 2, "usage error: nothing run", message, COMMAND_FAILED))
    cells += [
        Cell(
            "command",
            "shallow_clone",
            0,
            "the review reads the diff from the API, says so",
            ("the diff was read from the GitHub API",),
            RAN,
            "all",
            reply=RAN_REVIEW,
        ),
        Cell(
            "command",
            "diff_100mb",
            0,
            "the review's prompts within budget; files that did not fit named",
            ("`data/dump_00.sql` (over budget)",),
            _outputs(RAN, risk_level="high"),
            "all",
            reply=RAN_REVIEW,
        ),
        Cell(
            "command",
            "binary_files",
            0,
            "binaries named, never sent as text",
            ("2 binary file(s) changed",),
            RAN,
            "all",
            reply=RAN_REVIEW,
        ),
    ]
    no_logs = "`review`, `ask` read no logs; `explain-failure` is analyse-failure's column"
    for fault in ("logs_non_utf8", "logs_zip_empty", "logs_zip_corrupt"):
        cells.append(Cell("command", fault, None, no_logs))
    cells.append(Cell("command", "coverage_foreign", None, "takes no coverage report"))
    return cells


_ONE_WRITE = {
    "deploy-gate": "never writes to GitHub",
    "gen-tests": "never writes to GitHub",
    "analyse-failure": "publishes one comment: nothing to half-post",
}
_NOT_APPLICABLE = {
    "logs_non_utf8": "reads no logs",
    "logs_zip_empty": "reads no logs",
    "logs_zip_corrupt": "reads no logs",
    "coverage_foreign": "takes no coverage report",
}


def _build() -> dict[tuple[str, str], Cell]:
    every = _model_cells() + _github_cells() + _input_cells() + _command_cells()
    cells = {(c.mode, c.fault): c for c in every}
    for mode in MODES:
        for fault, why in _NOT_APPLICABLE.items():
            if (mode, fault) not in cells:
                reason = (
                    "measures coverage itself"
                    if mode == "gen-tests" and "coverage" in fault
                    else why
                )
                cells[(mode, fault)] = Cell(mode, fault, None, reason)
    for mode, why in _ONE_WRITE.items():
        cells[(mode, "github_5xx_midway")] = Cell(mode, "github_5xx_midway", None, why)
    missing = [(m, f) for m in MODES for f in FAULT_KEYS if (m, f) not in cells]
    if missing:
        raise ValueError(f"fault matrix has no cell for {missing}")
    return cells


MATRIX: Mapping[tuple[str, str], Cell] = MappingProxyType(_build())
CELLS: tuple[Cell, ...] = tuple(MATRIX[(mode, fault)] for fault in FAULT_KEYS for mode in MODES)
