"""Every cell of the fault matrix (``matrix.py``), driven through ``cicd_agent.cli.main``.

Each test builds its mode's real project and event (``stages.py``), produces one fault through the
real HTTP paths (``faults.py``), runs the mode once, and checks what a user would see: the exit
code, the one clear message, the outputs that can be known, and what GitHub received.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.model.client import ModelClient
from tests.e2e.reliability.faults import apply_github_fault, apply_model_fault
from tests.e2e.reliability.matrix import CELLS, GHOST_FILE, Cell
from tests.e2e.reliability.scenarios import (
    MODEL,
    MODEL_TIMEOUT,
    Outcome,
    posted_twice,
    publication,
    retried_posts,
)
from tests.e2e.reliability.stages import (
    ASK_COMMAND,
    ASK_PUBLICATIONS,
    HUGE_FILES,
    PNG,
    PUBLICATIONS,
    REPO,
    Stage,
    binary_files,
    huge_files,
    pull_files,
    stage,
)
from tests.harness import payloads
from tests.harness.model_server import ModelServer
from tests.helpers.failed_run import failed_run, zip_of

RUN_ID, FAILED_JOB = 1589141559, 11
_UNTOUCHED: dict[str, Outcome] = {}
"""One run per mode that never calls GitHub, shared by its GitHub cells (see below)."""


def _param(cell: Cell) -> Any:
    marks = []
    if cell.xfail:
        marks.append(pytest.mark.xfail(strict=True, reason=cell.xfail))
    if cell.fault == "diff_100mb":
        marks.append(pytest.mark.slow)
    return pytest.param(cell, id=cell.id, marks=marks)


APPLICABLE = [_param(cell) for cell in CELLS if cell.applies]


@pytest.mark.parametrize("cell", APPLICABLE)
def test_cell(cell: Cell, tmp_path: Path, github_api: Any, model_server: ModelServer) -> None:
    if cell.behaviour == "never calls GitHub":
        outcome = _untouched(cell, tmp_path, github_api)
    else:
        outcome = _drive(cell, tmp_path, github_api, model_server)
    check_cell(cell, outcome)
    extra_check = _EXTRA_CHECKS.get(cell.fault)
    if extra_check is not None:
        extra_check(cell, outcome, model_server)


def _drive(cell: Cell, tmp_path: Path, github_api: Any, model_server: ModelServer) -> Outcome:
    fault, mode = cell.fault, cell.mode
    extra = huge_files() if fault == "diff_100mb" else None
    if fault == "binary_files" and mode != "analyse-failure":
        extra = binary_files()
    model = None if cell.offline else model_server
    options = {}
    if mode == "command" and fault.startswith("model") and fault != "model_phantom_refs":
        options["comment"] = ASK_COMMAND  # the question is the command's one model call
    ready = stage(
        mode,
        tmp_path,
        github_api,
        model,
        extra=extra,
        answer=not fault.startswith("model"),
        options=options,
    )
    if fault == "model_timeout":
        ready.runner.model_timeout = MODEL_TIMEOUT  # the one cell where the timeout must fire
    if fault.startswith("model"):
        apply_model_fault(model_server, fault, mode)
    elif fault.startswith("github"):
        apply_github_fault(github_api.proxy, fault)
    elif fault in _INPUTS:
        _INPUTS[fault](ready, tmp_path)
    return ready.run()


def _untouched(cell: Cell, tmp_path: Path, github_api: Any) -> Outcome:
    """A mode that makes no GitHub request is run once with GitHub refusing every request
    (401); the outcome stands for each of its GitHub cells, since no fault can reach it."""
    if cell.mode not in _UNTOUCHED:
        ready = stage(cell.mode, tmp_path, github_api, None)
        apply_github_fault(github_api.proxy, "github_401")
        _UNTOUCHED[cell.mode] = ready.run()
    outcome = _UNTOUCHED[cell.mode]
    assert outcome.github == [], "a mode said to never call GitHub called it"
    return outcome


# ---------------------------------------------------------------------------- the checks


def check_cell(cell: Cell, outcome: Outcome) -> None:
    """What every cell promises: exit code, one clear message, outputs, honest publishing."""
    context = f"{cell.id}\n--- summary ---\n{outcome.summary}\n--- log ---\n{outcome.log[-3000:]}"
    assert outcome.code == cell.exit_code, context
    heading = f"### cicd-agent {cell.mode}"
    # A command that runs a mode leaves that mode's own report first, then its own.
    first = "### cicd-agent " if cell.mode == "command" else heading
    assert outcome.summary.startswith(first) and outcome.summary.count(heading) == 1, context
    for fragment in cell.message:
        assert fragment in outcome.summary, f"{fragment!r} not in the summary\n{context}"
    for surface in (outcome.summary, outcome.log):
        assert "Traceback" not in surface and "internal error" not in surface, context
    # The run's own error annotation (findings carry a file; the run's failure does not).
    errors = [
        line
        for line in outcome.log.splitlines()
        if line.startswith("::error") and "file=" not in line.split("::")[1]
    ]
    assert bool(errors) == (cell.exit_code != 0), context
    for name, expected in cell.outputs.items():
        assert name in outcome.outputs, f"output {name} not written\n{context}"
        check_output(name, outcome.outputs[name], expected)
    assert posted_twice(outcome) == []
    assert retried_posts(outcome) == []
    for refused in (w for w in outcome.writes() if w.status >= 400):
        assert str(refused.status) in outcome.summary, f"refusal not reported\n{context}"
    check_publication(cell, outcome)
    check_reply(cell, outcome)
    for text in cell.absent:
        leaks = [
            name for name, body in outcome.surfaces().items() if name != "prompts" and text in body
        ]
        assert leaks == [], f"{text!r} appears in {leaks}"


def check_output(name: str, actual: str, expected: str) -> None:
    if expected == "*":
        assert actual, f"output {name} is empty"
    elif expected.startswith("~"):
        assert expected[1:] in actual, f"output {name}={actual!r} lacks {expected[1:]!r}"
    else:
        assert actual == expected, f"output {name}={actual!r}, expected {expected!r}"


def check_publication(cell: Cell, outcome: Outcome) -> None:
    writes = outcome.writes()
    if cell.publish == "none":
        assert writes == [], [(w.method, w.api_path, w.status) for w in writes]
    elif cell.publish == "refused":
        assert writes and all(w.status >= 400 for w in writes)
    else:
        refused = {publication(w) for w in writes if w.status >= 400}
        assert bool(refused) == (cell.publish == "partial"), refused
        targets = ASK_PUBLICATIONS if cell.publish == "reply" else PUBLICATIONS[cell.mode]
        if cell.publish == "reply":  # an answer only: nothing else is written
            assert len(writes) == len(targets), [publication(w) for w in writes]
        for target in targets:
            if any(_matches(target, _published(target, path)) for path in refused):
                continue
            done = [
                w
                for w in outcome.github
                if w.method == "POST"
                and w.status < 300
                and _matches(target, _published(target, publication(w)))
                and ("event" in w.json() if w.api_path.endswith("/reviews") else True)
            ]
            assert len(done) == 1, f"{target}: {len(done)} publication(s)"


def check_reply(cell: Cell, outcome: Outcome) -> None:
    """The command's reply: at most one, carrying what the cell says a member reads there."""
    replies = [
        w.json()["body"]
        for w in outcome.writes()
        if w.status < 300 and "#command-reply:" in publication(w)
    ]
    assert len(replies) <= 1, replies
    if cell.reply:
        assert replies, f"{cell.id}: no reply was posted"
        for fragment in cell.reply:
            assert fragment in replies[0], f"{fragment!r} not in the reply\n{replies[0]}"


def _published(target: str, key: str) -> str:
    """``key`` (a path, with the comment's marker after ``#``) as ``target`` names it."""
    return key if "#" in target else key.split("#")[0]


def _matches(pattern: str, path: str) -> bool:
    return re.fullmatch(pattern, path) is not None


# ---------------------------------------------------------------------------- input faults


def _event_missing(ready: Stage, tmp_path: Path) -> None:
    ready.event = tmp_path / "no-such-event.json"


def _event_malformed(ready: Stage, tmp_path: Path) -> None:
    ready.event = tmp_path / "truncated-event.json"
    ready.event.write_text('{"action": "opened", "pull_request": {"number": 2, "head": ')


def _event_unusable(ready: Stage, tmp_path: Path) -> None:
    payload = payloads.example("issues", "opened")
    ready.event = payloads.write_event(tmp_path, payload, "issues.json")
    ready.event_name = "issues"


def _token_missing(ready: Stage, tmp_path: Path) -> None:
    ready.drop_env.append("GITHUB_TOKEN")


def _shallow_clone(ready: Stage, tmp_path: Path) -> None:
    """``actions/checkout`` with its default ``fetch-depth: 1``: the head commit only."""
    shallow = tmp_path / "shallow"
    source = ready.project.path if ready.project else ready.workspace
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{source}", str(shallow)], check=True
    )
    ready.workspace = shallow
    if ready.mode in ("review", "command") and ready.project is not None:
        github = ready.runner.github
        assert github is not None
        github.proxy.script("GET", rf"{REPO}/pulls/2/files", edit=pull_files(ready.project))


def _binary_log(ready: Stage, tmp_path: Path) -> None:
    if ready.state is None:
        return
    log = failed_run().job_log
    middle = log.index(b"FAILED")
    ready.state.job_log(
        FAILED_JOB, log[:middle] + PNG + bytes(range(256)) * 400 + b"\n" + log[middle:]
    )


def _non_utf8_log(ready: Stage, tmp_path: Path) -> None:
    assert ready.state is not None
    log = failed_run().job_log.replace(b"assert 5 == 6\n", b"assert 5 == 6 \xff\xfe caf\xe9 \x80\n")
    ready.state.job_log(FAILED_JOB, log)


def _logs_zip(archive: bytes) -> Callable[[Stage, Path], None]:
    """The job's own log has expired (410), so the run's zip is fetched, and it is ``archive``."""

    def apply(ready: Stage, tmp_path: Path) -> None:
        assert ready.state is not None
        proxy = ready.state.proxy
        proxy.script("GET", r"/blobs/expired", status=410, body=b"expired", forward=False)
        gone = {"Location": f"{ready.state.api.base_url}/blobs/expired"}
        proxy.script("GET", rf"{REPO}/actions/jobs/{FAILED_JOB}/logs", headers=gone)
        blob = proxy.serve(f"/blobs/run-{RUN_ID}.zip", archive)
        proxy.script("GET", rf"{REPO}/actions/runs/{RUN_ID}/logs", headers={"Location": blob})

    return apply


def _coverage_foreign(ready: Stage, tmp_path: Path) -> None:
    """The head's report comes from another project (100 %), the base's from this one (50 %)."""

    def report(files: dict[str, Any], covered: int, statements: int) -> str:
        totals = {"covered_lines": covered, "num_statements": statements}
        return json.dumps({"meta": {"version": "7.6.1"}, "files": files, "totals": totals})

    summary = {"summary": {"covered_lines": 40, "num_statements": 40}}
    foreign = {f"/home/runner/work/billing/billing/lib/payments_{n}.py": summary for n in range(4)}
    head, base = tmp_path / "coverage-head.json", tmp_path / "coverage-base.json"
    head.write_text(report(foreign, 160, 160))
    base.write_text(report({"src/shop/orders.py": summary}, 20, 40))
    ready.argv += ["--coverage", str(head), "--base-coverage", str(base)]


_INPUTS: dict[str, Callable[[Stage, Path], None]] = {
    "event_missing": _event_missing,
    "event_malformed": _event_malformed,
    "event_unusable": _event_unusable,
    "token_missing": _token_missing,
    "shallow_clone": _shallow_clone,
    "binary_files": _binary_log,
    "logs_non_utf8": _non_utf8_log,
    "logs_zip_empty": _logs_zip(zip_of({})),
    "logs_zip_corrupt": _logs_zip(b"PK\x03\x04" + bytes(range(256)) * 8),
    "coverage_foreign": _coverage_foreign,
}


# ---------------------------------------------------------------------------- extra checks


def _within_budget(cell: Cell, outcome: Outcome, server: ModelServer) -> None:
    """The 100 MB diff: calls were made, each within the model's prompt budget, and every file
    that did not fit is named in the summary."""
    if cell.offline:
        return
    client = ModelClient(server.config(model=MODEL, fast_model=MODEL))
    budget, counter = client.prompt_budget("model"), client.counter("model")
    assert outcome.prompts, "nothing was sent to the model"
    for request in outcome.prompts:
        assert counter.count(request.text()) <= budget
    if cell.mode in ("review", "command"):
        for n in range(HUGE_FILES):
            assert f"`data/dump_{n:02}.sql` (over budget)" in outcome.summary


def _binary_not_sent(cell: Cell, outcome: Outcome, server: ModelServer) -> None:
    assert "\x89PNG" not in outcome.prompt_text() and "\x00" not in outcome.prompt_text()
    if cell.mode in ("review", "command"):
        assert "`assets/logo.png` (binary)" in outcome.summary


def _phantoms_dropped(cell: Cell, outcome: Outcome, server: ModelServer) -> None:
    if cell.mode in ("review", "command"):
        sarif = outcome.files["sarif_file"]
        assert GHOST_FILE not in sarif and "4242" not in sarif


_EXTRA_CHECKS: dict[str, Callable[[Cell, Outcome, ModelServer], None]] = {
    "diff_100mb": _within_budget,
    "binary_files": _binary_not_sent,
    "model_phantom_refs": _phantoms_dropped,
}
