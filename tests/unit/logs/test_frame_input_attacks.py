"""A failed job's log is the pull request's word, whatever shape it takes: a line that reads as a
``go test -json`` event can carry any escape JSON allows, a lone surrogate (``\\ud800``) among
them, which no file name or text encodes. The log reader reads such an event as the project's
one JSON reader does (the surrogate as U+FFFD) and never crashes on it."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.logs.sources import load_logs
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, write_layout


def test_attack_a_go_event_carrying_a_lone_surrogate_crashes_nothing(tmp_path: Path) -> None:
    """A test that prints a line shaped as go's JSON event, its ``Output`` a frame whose path
    holds ``\\ud800``: before, the event's text reached the signature matcher and the checkout
    lookups as a string no codec encodes, and the mode crashed (UnicodeEncodeError)."""
    repo = tmp_path / "repo"
    (repo / "calc").mkdir(parents=True)
    (repo / "go.mod").write_text("module example.com/shop\n")
    (repo / "calc" / "calc.go").write_text("package calc\n")
    events = [
        r'{"Action":"output","Output":"panic: boom\n"}',
        r'{"Action":"output","Output":"\t/app/calc/\ud800calc.go:7 +0x1d\n"}',
        r'{"Action":"output","Output":"\texample.com/shop/calc/\udfff.go:7 +0x1d\n"}',
        r'{"Action":"output","Output":"FAIL\texample.com/shop/calc\t0.1s\n"}',
    ]
    step = Step("Test", run="go test -json ./...", output="\n".join(events).encode(), exit_code=1)
    (tmp_path / "logs").mkdir()
    logs = load_logs(write_layout([Job("test", [noise.checkout(), step])], tmp_path / "logs", "zip_steps"))
    analysis = analyse_scans(scan_jobs(logs), checkout=repo)
    paths = [f.path for f in analysis.responsible_files]
    assert all(p.encode() for p in paths), paths
    assert any("\ufffdcalc.go" in p for p in paths), paths
