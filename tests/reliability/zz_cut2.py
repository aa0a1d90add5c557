from __future__ import annotations
from tests.reliability.stages import stage
from tests.reliability.secrets import SECRETS
from tests.test_analyse_failure_cli import failed_run
TOKEN = SECRETS[0].value
def test_long_log_line(tmp_path, github_api, model_server):
    ready = stage("analyse-failure", tmp_path, github_api, model_server)
    log = failed_run().job_log
    anchor = b"E        +  where 5 = add(2, 3)\n"
    at = log.index(anchor) + len(anchor)
    pre = b"2024-05-14T09:12:03.8894520Z E        +  env: "
    pad = b"A" * (3979 - (len(pre) - 29)) + b" "
    line = pre + pad + TOKEN.encode() + b"\n"
    print("TOKEN starts at", len(pre) - 29 + len(pad))
    ready.state.job_log(11, log[:at] + line + log[at:])
    o = ready.run()
    p = o.prompt_text()
    print("A=1 in prompt", p.count("A=1"), "ghp_ in prompt", "ghp_" in p, [p[i:i+30] for i in range(len(p)) if p.startswith("ghp_", i)][:3])
    print("excerpt has", o.files.get("excerpt_file","").count("A=1"), "ghp" in o.files.get("excerpt_file",""))
    i = o.files["excerpt_file"].find("ghp_"); print(repr(o.files["excerpt_file"][i-50:i+60]))
    i = o.files["excerpt_file"].find("AAAA"); print("CTX", repr(o.files["excerpt_file"][i-100:i+1700][-300:]))
