from __future__ import annotations
import json, os
from pathlib import Path
import pytest
from tests.reliability.scenarios import *
from tests.reliability.faults import *

MODEL_FAULTS = ["model_429","model_500","model_timeout","model_invalid_json","model_refusal","model_length","model_empty","model_phantom_refs"]
GH = list(GITHUB_FAULTS)

def show(tag, o):
    lines = [l for l in o.summary.splitlines() if l.strip()][:3]
    notes = [l for l in o.summary.splitlines() if l.startswith("- ")][:6]
    w = [(r.method, r.api_path, r.status) for r in o.writes()]
    with open("/tmp/rel/explore.txt","a") as f:
        f.write(f"\n=== {tag}: exit {o.code}\n  outputs: { {k:v[:80] for k,v in o.outputs.items()} }\n  head: {lines}\n  notes: {notes}\n  writes: {w}\n  tb: {'Traceback' in o.log+o.summary} internal: {'internal error' in o.log+o.summary}\n")

@pytest.mark.parametrize("fault", MODEL_FAULTS + GH)
@pytest.mark.parametrize("mode", ["review","deploy-gate"])
def test_explore(mode, fault, tmp_path, github_api, model_server):
    proj = review_project(tmp_path) if mode=="review" else deploy_project(tmp_path)
    r = ModeRunner(tmp_path, github=github_api, model=model_server)
    if fault.startswith("model"):
        apply_model_fault(model_server, fault, mode)
    else:
        model_server.answer(good_answer(mode), times=None)
        apply_github_fault(github_api.proxy, fault)
    o = r.run(mode, list(proj.argv), event=proj.event, event_name=proj.event_name, workspace=proj.path)
    show(f"{mode} {fault}", o)
