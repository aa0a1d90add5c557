from __future__ import annotations
import json, os, subprocess, time
from pathlib import Path
import pytest
from tests.reliability.scenarios import *
from tests.reliability.faults import *
from tests.reliability.zz_explore import show

CHUNK = "".join(f"INSERT INTO orders VALUES ({n}, 'item-{n}', {n % 97});\n" for n in range(1000))
def big():
    return {f"data/dump_{i:02}.sql": CHUNK * (5_000_000 // len(CHUNK)) for i in range(20)}

@pytest.mark.parametrize("mode", ["review","deploy-gate","gen-tests"])
def test_huge(mode, tmp_path, github_api, model_server):
    t=time.time()
    proj = {"review": review_project, "deploy-gate": deploy_project, "gen-tests": gentests_project}[mode](tmp_path, extra=big())
    print("build", time.time()-t)
    model_server.answer(good_answer(mode), times=None)
    r = ModeRunner(tmp_path, github=github_api, model=model_server)
    t=time.time()
    o = r.run(mode, list(proj.argv), event=proj.event, event_name=proj.event_name, workspace=proj.path)
    print("run", time.time()-t, [len(p.text()) for p in o.prompts])
    show(f"{mode} huge", o)
    with open("/tmp/rel/huge-summary-"+mode, "w") as f: f.write(o.summary)
