import os
import sys
from pathlib import Path

sys.path.insert(0, "/work/wt-civerify")
G = f"/sys/fs/cgroup/cpuacct/civerify-{os.getpid()}"
os.makedirs(G); open(f"{G}/cgroup.procs", "w").write(str(os.getpid()))
def usage(): return int(open(f"{G}/cpuacct.usage").read()) / 1e9
from tests.helpers.fix_projects import CALC, CALC_FIX, commit_project, pytest_failure
from tests.helpers.gen_tests import path_env

from cicd_agent.api import Sandbox
from cicd_agent.verify.contract import Patch
from cicd_agent.verify.judge import SandboxVerifier

orig = Sandbox.run
log = []
def run(self, command, space, **kw):
    u = usage(); r = orig(self, command, space, **kw); log.append((round(usage() - u, 3), command[:3] if command[0] != "/bin/sh" else open(command[-1]).read().strip()[:60], sorted((kw.get("extra_env") or {}).keys()))); return r
Sandbox.run = run  # type: ignore[method-assign]
root = Path(sys.argv[1])
checkout = root / "checkout"; commit_project(checkout, CALC)
env = {"PATH": path_env(), "HOME": str(root / "home")}
try:
  with Sandbox(checkout, env) as sb:
    v = SandboxVerifier(sb, pytest_failure(), redact=lambda t: t)
    for i in range(3):
        log.clear(); v._verdicts.clear(); u = usage()
        r = v.verify(Patch(CALC_FIX, "model", "x"))
        total = usage() - u
        print(f"total {total:.3f} runs {sum(l[0] for l in log):.3f}")
        for l in log: print("  ", l)
finally:
    open("/sys/fs/cgroup/cpuacct/cgroup.procs", "w").write(str(os.getpid())); os.rmdir(G)
