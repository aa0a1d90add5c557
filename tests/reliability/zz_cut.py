from __future__ import annotations
import re
from tests.reliability.stages import stage
from tests.reliability.secrets import SECRETS
from tests.test_analyse_failure_cli import failed_run

TOKEN = SECRETS[0].value  # ghp_
LINES = 8000

def excerpt_of(o):
    user = o.prompts[0].text("user")
    m = re.search(r'<untrusted-data label="diff excerpt" id="(\w+)">\n(.*?)\n?</untrusted-data', user, re.S)
    return m.group(2)

def test_diff_cut(tmp_path, github_api, model_server):
    lines = [" " * 200] * LINES
    ready = stage("deploy-gate", tmp_path / "a", github_api, model_server, extra={"config/pad.txt": "".join(l + "\n" for l in lines)})
    o = ready.run()
    cut = len(excerpt_of(o))
    raw = ready.project.repo.git("diff", ready.project.base, ready.project.head, "--", "config/pad.txt")
    header = raw.index("@@ -0,0") ; header = raw.index("\n", header) + 1
    j, p = divmod(cut - header, 202)
    print("cut", cut, "line", j, "pos", p)
    start = max(0, min(p - 1 - 20, 160))
    lines[j] = " " * start + TOKEN + " " * (200 - start - len(TOKEN))
    ready2 = stage("deploy-gate", tmp_path / "b", github_api, model_server, answer=False, extra={"config/pad.txt": "".join(l + "\n" for l in lines)})
    o2 = ready2.run()
    ex2 = excerpt_of(o2)
    print("cut2", len(ex2), repr(ex2[-60:]))
    rand = TOKEN[4:]
    for name, text in o2.surfaces().items():
        hits = [rand[:n] for n in range(8, 36) if "ghp_" + rand[:n] in text]
        if hits: print("PARTIAL", name, hits[-1])
