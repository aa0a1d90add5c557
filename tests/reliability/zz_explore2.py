from __future__ import annotations
import json, os, subprocess
from pathlib import Path
import pytest
from tests.reliability.scenarios import *
from tests.reliability.faults import *
from tests.reliability.zz_explore import show, MODEL_FAULTS, GH
from tests.harness import payloads
from tests.test_analyse_failure_github import GitHubState

INPUTS = ["event_missing","event_malformed","event_unusable","token_missing","shallow_clone","binary_files"]

def make(mode, tmp, extra=None):
    return {"review": review_project, "deploy-gate": deploy_project, "gen-tests": gentests_project}[mode](tmp, extra=extra)

@pytest.mark.parametrize("fault", INPUTS)
@pytest.mark.parametrize("mode", ["review","deploy-gate","gen-tests"])
def test_inputs(mode, fault, tmp_path, github_api, model_server):
    extra = {"assets/logo.png": b"\x89PNG\r\n\x1a\n" + os.urandom(300_000), "src/blob.py": b"\x00\x01\xff"*100} if fault=="binary_files" else None
    proj = make(mode, tmp_path, extra)
    model_server.answer(good_answer(mode), times=None)
    r = ModeRunner(tmp_path, github=github_api, model=model_server)
    event, name, ws, drop = proj.event, proj.event_name, proj.path, []
    if fault == "event_missing": event = tmp_path / "nope.json"
    if fault == "event_malformed":
        event = tmp_path / "bad.json"; event.write_text('{"action": "opened", "pull_request": ')
    if fault == "event_unusable":
        event = payloads.write_event(tmp_path, payloads.example("issues", "opened"), "issues.json"); name = "issues"
    if fault == "token_missing": drop = ["GITHUB_TOKEN"]
    if fault == "shallow_clone":
        ws = tmp_path / "shallow"
        subprocess.run(["git","clone","-q","--depth","1",f"file://{proj.path}", str(ws)], check=True)
    o = r.run(mode, list(proj.argv), event=event, event_name=name, workspace=ws, drop_env=drop)
    show(f"{mode} {fault}", o)

@pytest.mark.parametrize("fault", MODEL_FAULTS)
def test_gentests_model(fault, tmp_path, github_api, model_server):
    proj = gentests_project(tmp_path)
    r = ModeRunner(tmp_path, github=github_api, model=model_server)
    apply_model_fault(model_server, fault, "gen-tests")
    o = r.run("gen-tests", list(proj.argv), event=proj.event, event_name=proj.event_name, workspace=proj.path)
    show(f"gen-tests {fault}", o)

AF = MODEL_FAULTS + GH + ["event_missing","event_malformed","event_unusable","token_missing","shallow_clone","logs_non_utf8","logs_zip_empty","logs_zip_corrupt"]
@pytest.mark.parametrize("fault", AF)
def test_af(fault, tmp_path, github_api, model_server):
    state = GitHubState(github_api, tmp_path)
    state.standard()
    state.comments(r"/repos/octocat/Hello-World/commits/\w+/comments")
    r = ModeRunner(tmp_path, github=github_api, model=model_server)
    event, name, ws, drop = state.event(), "workflow_run", state.repo.path, []
    if fault.startswith("model"): apply_model_fault(model_server, fault, "analyse-failure")
    else: model_server.answer(good_answer("analyse-failure"), times=None)
    if fault.startswith("github"): apply_github_fault(github_api.proxy, fault)
    if fault == "event_missing": event = tmp_path / "nope.json"
    if fault == "event_malformed":
        event = tmp_path / "bad.json"; event.write_text('{"action": "opened", "pull_request": ')
    if fault == "event_unusable":
        event = payloads.write_event(tmp_path, payloads.example("issues", "opened"), "issues.json"); name = "issues"
    if fault == "token_missing": drop = ["GITHUB_TOKEN"]
    if fault == "shallow_clone":
        ws = tmp_path / "shallow"
        subprocess.run(["git","clone","-q","--depth","1",f"file://{state.repo.path}", str(ws)], check=True)
    if fault == "logs_non_utf8":
        from tests.test_analyse_failure_cli import failed_run
        state.job_log(11, failed_run().job_log.replace(b"assert 5 == 6", b"assert 5 == 6 \xff\xfe caf\xe9 \x80"))
    if fault in ("logs_zip_empty", "logs_zip_corrupt"):
        from tests.test_analyse_failure_cli import zip_of
        state.proxy.script("GET", r"/blobs/gone", status=410, body=b"expired", forward=False)
        state.proxy.script("GET", r"/repos/octocat/Hello-World/actions/jobs/11/logs", headers={"Location": f"{state.api.base_url}/blobs/gone"})
        archive = zip_of({}) if fault=="logs_zip_empty" else b"PK\x03\x04garbage" + os.urandom(500)
        blob = state.proxy.serve("/blobs/run.zip", archive)
        state.proxy.script("GET", r"/repos/octocat/Hello-World/actions/runs/1589141559/logs", headers={"Location": blob})
    o = r.run("analyse-failure", [], event=event, event_name=name, workspace=ws, drop_env=drop)
    show(f"analyse-failure {fault}", o)
