import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, "/work/wt-civerify")
from tests.helpers.fix_projects import CALC, commit_project
from tests.helpers.gen_tests import path_env

from cicd_agent.api import Sandbox

root = Path(sys.argv[1]); files = int(sys.argv[2])
checkout = root / "checkout"; commit_project(checkout, CALC)
env = {"PATH": path_env(), "HOME": str(root / "home")}
def me():
    a = resource.getrusage(resource.RUSAGE_SELF); return a.ru_utime + a.ru_stime
with Sandbox(checkout, env) as sb:
    space = sb.workspace("x")
    d = space.home / "cache"
    for i in range(files):
        p = d / f"{i % 256:02x}"; p.mkdir(parents=True, exist_ok=True); (p / f"f{i}").write_bytes(b"x" * 100)
    for cmd in (["sleep", "5"], ["python", "-c", "import time; time.sleep(5)"]):
        u = me(); t = time.time(); sb.run(cmd, space, timeout=60); print(cmd[0], files, "host cpu", round(me() - u, 3), "wall", round(time.time() - t, 2))
