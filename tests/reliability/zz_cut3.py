from __future__ import annotations
from tests.reliability.stages import stage
from tests.reliability.secrets import SECRETS
from tests.test_analyse_failure_cli import failed_run
TOKEN = SECRETS[0].value
def test_root(tmp_path, github_api, model_server):
    ready = stage("analyse-failure", tmp_path, github_api, model_server)
    log = failed_run().job_log
    old = b"FAILED tests/test_failing.py::test_add_small_numbers - assert 5 == 6"
    new = old + b" " + b"B" * (8192 - 29 - len(old) - 1 - 20 - 1) + b" " + TOKEN.encode()
    ready.state.job_log(11, log.replace(old, new))
    o = ready.run()
    for name, text in o.surfaces().items():
        i = text.find("ghp_")
        if i >= 0: print("SURF", name, repr(text[i:i+45]))
    print("root", len(o.outputs["root_cause"]), o.outputs["root_cause"][-60:])
