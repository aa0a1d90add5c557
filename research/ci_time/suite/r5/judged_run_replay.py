"""One judged pytest run of the real fix (the one-test project), replayed N times outside the
sandbox with the projects' own interpreter (.harness/inner), as the fix judge sets it up: the
in-run check installed, its variables, its stream drained. Prints the median and least child
CPU-s a run and how many records streamed. Under PRE="valgrind --tool=callgrind
--callgrind-out-file=/dev/null" (N=1, PYTHONHASHSEED=0 in the run) callgrind prints the run's
instruction count, which the shared machine's load does not move.

usage: judged_run_replay.py TREE plain|check|guard N
  TREE: a tree whose src/ holds the cicd_agent to measure (this worktree, or the base's)
  plain: no in-run check; check: the in-run check without the guard; guard: both, as judged."""

import os
import resource
import shutil
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parents[4]
tree, mode, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path[:0] = [f"{tree}/src", str(HERE)]
from tests.helpers.fix_projects import CALC, commit_project  # noqa: E402

from cicd_agent.runners.patched_lines import PatchedLines  # noqa: E402
from cicd_agent.runners.pytest.in_run_records import InRunCheck  # noqa: E402

root = Path(f"/tmp/judged-replay-{mode}-{os.getpid()}")
shutil.rmtree(root, ignore_errors=True)
repo = root / "repo"
commit_project(repo, CALC)
before = (repo / "calc/ops.py").read_text()
after = before.replace("a - b", "a + b")
(repo / "calc/ops.py").write_text(after)
check = InRunCheck.install(root)
changed = PatchedLines.of(repo, [("calc/ops.py", before, after)])
read, write = os.pipe()
env = {"PATH": f"{HERE}/.harness/inner/bin:/usr/bin:/bin", "HOME": str(root),
       "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
if mode != "plain":
    env |= check.environment(env, "STREAM_FD", ["tests/test_ops.py::test_add"], [], changed)
    env["STREAM_FD"] = str(write)
    if mode == "check":
        del env["CICD_FIX_CHECK_PATCHED"]
data = bytearray()


def drain() -> None:
    while chunk := os.read(read, 1 << 16):
        data.extend(chunk)


drainer = threading.Thread(target=drain)
drainer.start()
spent, before_cpu = [], 0.0
pre = os.environ.get("PRE", "").split()
for _ in range(runs):
    done = subprocess.run([*pre, f"{HERE}/.harness/inner/bin/python", "-m", "pytest", "-q", "-p",
                           "no:cacheprovider", "tests"], cwd=repo, env=env, pass_fds=(write,),
                          capture_output=True, text=True, check=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent.append(usage.ru_utime + usage.ru_stime - before_cpu)
    before_cpu = usage.ru_utime + usage.ru_stime
    if pre:
        print(*(line for line in done.stderr.splitlines() if "refs" in line))
os.close(write)
drainer.join()
spent.sort()
intact = data.count(b'"intact": true')
print(f"{mode} median {spent[len(spent) // 2]:.3f} least {spent[0]:.3f} CPU-s, "
      f"records {data.count(b'{')}, guard intact {intact}")
shutil.rmtree(root, ignore_errors=True)
