"""How much work an application-only change skips: a push whose unchanged steps come from the
kept cache the push before filled, against the same push built from an empty cache.

Usage (from the repository root, with buildah and busybox-static installed)::

    python research/build/app_only.py WORK [PAIRS]

It makes a small project in WORK: a root file system tar of Debian's static busybox given with
``--image`` (no registry), a dependency step that makes 96 MiB of random bytes and gzips them
(seconds of real work), and the application copied last, in three commits that change only the
application. Each run is one ``cicd-agent build`` process for a push, as a workflow's job is:

- *kept*: a fresh ``cache-dir`` filled by the push before (v1..v2, not timed), then the push
  v2..v3 with that folder;
- *empty*: the push v2..v3 with an empty ``cache-dir`` (its base is a full build).

PAIRS pairs (3 unless given) run interleaved. Wall time is the process's; CPU is the user and
system time of every process the run started, the builder's own included: this script makes
itself the children's subreaper, so a process the builder leaves behind is still counted when
it ends. Whether the base's dependency step ran again is read from its bytes: the step writes
random bytes, so its layer's digest in the kept storage changes only if it ran. The load
average is printed beside each run.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

DOCKERFILE = """\
FROM registry.invalid/fixture/base:1
COPY requirements.txt /app/requirements.txt
RUN busybox dd if=/dev/urandom bs=1048576 count=96 2>/dev/null | busybox gzip -6 > /deps.gz
COPY app.py /app/app.py
"""
STAMP = re.compile(r"\[\s*([0-9.]+)s\] build: (base|head) at")
AFTER = re.compile(r"\[\s*([0-9.]+)s\] (?:collect|analyse|build: advice|lint)")
PR_SET_CHILD_SUBREAPER = 36


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.email=m@m", "-c", "user.name=m", *args], cwd=repo,
                          check=True, capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip()


def fixture(work: Path) -> tuple[Path, Path]:
    busybox = shutil.which("busybox")
    assert busybox, "needs busybox-static"
    tree = work / "rootfs"
    (tree / "bin").mkdir(parents=True)
    shutil.copy(busybox, tree / "bin" / "busybox")
    (tree / "bin" / "sh").symlink_to("busybox")
    tar = work / "rootfs.tar"
    with tarfile.open(tar, "w") as written:
        written.add(tree, arcname=".")
    repo = work / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text(DOCKERFILE)
    (repo / "requirements.txt").write_text("flask==3.0\n")
    git(repo, "init", "-q", "-b", "main")
    for version in (1, 2, 3):
        (repo / "app.py").write_text(f"print({version})\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"version {version}")
    return repo, tar


def timed(argv: list[str], env: dict[str, str], out: Path) -> tuple[int, float, float]:
    """Exit code, wall seconds and CPU seconds of ``argv`` and every process under it: as the
    subreaper, this process inherits what the builder leaves behind and reaps it too, so
    ``RUSAGE_CHILDREN`` counts it."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    before = os.times()
    start = time.monotonic()
    with open(out.with_suffix(".out"), "wb") as stdout, open(out, "wb") as stderr:
        pid = subprocess.Popen(argv, env=env, stdout=stdout, stderr=stderr).pid
        code = -1
        while True:
            try:
                done, status, _ = os.wait4(-1, 0)
            except ChildProcessError:
                break
            if done == pid:
                code = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return code, wall, cpu


def deps_digest(cache: Path) -> str:
    """The digest of the dependency step's layer in the kept base image (layer 3 of 4)."""
    layout = cache / "base-image"
    index = json.loads((layout / "index.json").read_text())
    digest = index["manifests"][0]["digest"].split(":", 1)[1]
    manifest = json.loads((layout / "blobs" / "sha256" / digest).read_text())
    return str(manifest["layers"][2]["digest"])


def push(
    repo: Path, tar: Path, work: Path, cache: Path, name: str, older: int
) -> dict[str, object]:
    """One ``cicd-agent build`` process for the push ``main~older..main~(older-1)``."""
    after = "main" if older == 1 else f"main~{older - 1}"
    event = work / f"{name}.json"
    event.write_text(json.dumps({
        "ref": "refs/heads/main", "before": git(repo, "rev-parse", f"main~{older}"),
        "after": git(repo, "rev-parse", after), "commits": [],
        "repository": {"full_name": "o/r", "name": "r", "owner": {"login": "o", "id": 1}},
    }))  # fmt: skip
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    temp = work / f"temp-{name}"
    temp.mkdir()
    argv = [sys.executable, "-m", "cicd_agent", "build", "--repo", str(repo), "--event",
            str(event), "--event-name", "push", "--builder", "buildah", "--advice", "off",
            "--vuln-db", "none", "--cache-dir", str(cache), "--json",
            "--image", f"registry.invalid/fixture/base:1={tar}"]  # fmt: skip
    kept = deps_digest(cache) if (cache / "base-image").is_dir() else ""
    err = work / f"{name}.err"
    code, wall, cpu = timed(argv, {**os.environ, "RUNNER_TEMP": str(temp)}, err)
    log = err.read_text()
    assert code == 0, log[-3000:]
    report = json.loads(err.with_suffix(".out").read_text())
    stamps = [float(t) for t, _ in STAMP.findall(log)]
    head_end = min(float(t) for t in AFTER.findall(log) if float(t) > stamps[-1])
    return {
        "run": name,
        "load": load,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "base_build_s": round(stamps[1] - stamps[0], 1),
        "head_build_s": round(head_end - stamps[1], 1),
        "strategy": report["build_strategy"],
        "head_rebuilt_lines": [r["line"] for r in report["instructions"] if not r["cached"]],
        "base_deps_step_from_kept_cache": bool(kept) and kept == deps_digest(cache),
    }


def main() -> None:
    work = Path(sys.argv[1]).absolute()
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    repo, tar = fixture(work)
    runs: dict[str, list[dict[str, object]]] = {"kept": [], "empty": []}
    for n in range(1, pairs + 1):
        cache = work / f"cache-kept-{n}"
        push(repo, tar, work, cache, f"prime-{n}", 2)  # v1..v2 fills the kept cache
        for kind, folder in (("kept", cache), ("empty", work / f"cache-empty-{n}")):
            row = push(repo, tar, work, folder, f"{kind}-{n}", 1)  # v2..v3: application only
            runs[kind].append(row)
            print(json.dumps(row), flush=True)
    for kind, rows in runs.items():
        wall = statistics.median(float(str(r["wall_s"])) for r in rows)
        cpu = statistics.median(float(str(r["cpu_s"])) for r in rows)
        print(f"{kind}: median wall {wall:.2f} s, median CPU {cpu:.2f} s, runs {len(rows)}")


if __name__ == "__main__":
    main()
