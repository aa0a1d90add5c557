"""How much work an application-only change skips: a full build against one whose unchanged
steps come from the kept cache of the trusted base.

Usage (from the repository root, with buildah, skopeo and busybox-static installed)::

    python research/build/app_only.py WORK

It makes a small project in WORK: a root file system tar of Debian's static busybox given with
``--image`` (no registry), a dependency step that makes 96 MiB of random bytes and gzips them
(seconds of real work), and the application copied last. Two pushes are built as a workflow
would, with one ``cache-dir`` kept between them: the first from an empty cache (its base is a
full build), the second after an application-only change (its base and head take every step
but the application's from the kept cache). Each run is timed whole with ``/usr/bin/time -v``,
and each build within it from the run's own progress lines; the load average is printed beside
each figure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

DOCKERFILE = """\
FROM registry.invalid/fixture/base:1
COPY requirements.txt /app/requirements.txt
RUN busybox dd if=/dev/urandom bs=1048576 count=96 2>/dev/null | busybox gzip -6 > /deps.gz
COPY app.py /app/app.py
"""
STAMP = re.compile(r"\[\s*([0-9.]+)s\] build: (base|head) at")
AFTER = re.compile(r"\[\s*([0-9.]+)s\] (?:collect|analyse|build: advice|lint)")


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
    for version in (1, 2):
        (repo / "app.py").write_text(f"print({version})\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"version {version}")
    return repo, tar


def run(repo: Path, tar: Path, work: Path, name: str) -> dict[str, float | str]:
    event = work / f"{name}.json"
    event.write_text(json.dumps({
        "ref": "refs/heads/main", "before": git(repo, "rev-parse", "main~1"),
        "after": git(repo, "rev-parse", "main"), "commits": [],
        "repository": {"full_name": "o/r", "name": "r", "owner": {"login": "o", "id": 1}},
    }))  # fmt: skip
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    argv = ["/usr/bin/time", "-v", sys.executable, "-m", "cicd_agent", "build", "--repo",
            str(repo), "--event", str(event), "--event-name", "push", "--builder", "buildah",
            "--advice", "off", "--vuln-db", "none", "--cache-dir", str(work / "cache"),
            "--image", f"registry.invalid/fixture/base:1={tar}", "--json"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=False,
                          env={**os.environ, "RUNNER_TEMP": str(work)})  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+(?:\.\d+)?)$",
                     done.stderr, re.M)  # fmt: skip
    assert wall is not None
    report = json.loads(done.stdout)
    stamps = [(float(t), side) for t, side in STAMP.findall(done.stderr)]
    ends = [float(t) for t in AFTER.findall(done.stderr)]
    head_end = min(t for t in ends if t > stamps[-1][0])
    return {
        "run": name,
        "load": load,
        "wall_s": int(wall.group(1) or 0) * 60 + float(wall.group(2)),
        "base_build_s": round(stamps[1][0] - stamps[0][0], 1),
        "head_build_s": round(head_end - stamps[1][0], 1),
        "strategy": report["build_strategy"],
        "rebuilt_lines": str([r["line"] for r in report["instructions"] if not r["cached"]]),
    }


def main() -> None:
    work = Path(sys.argv[1]).absolute()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    repo, tar = fixture(work)
    print(json.dumps(run(repo, tar, work, "cold: empty cache")))
    (repo / "app.py").write_text("print(3)\n")
    git(repo, "commit", "-qam", "an application-only change")
    print(json.dumps(run(repo, tar, work, "warm: after an application-only change")))


if __name__ == "__main__":
    main()
