"""The build mode measured on the frozen set of public Dockerfiles (dataset.txt): per Dockerfile,
a plain buildah build of the head, then the mode (base + head + advice), each in a fresh storage
holding only the stand-ins (standin.sh: Debian images made from Debian's packages) of the FROM
names its base and head Dockerfiles use, tagged with those names (standins.txt says which
stand-in serves which name). Output: one JSON line per Dockerfile in results.jsonl.

Run once, niced:  nice -n 15 python research/build/measure.py MIRRORS STANDINS WORK
(STANDINS: a folder holding the stand-ins standins.txt names, as NAME.tar). It resumes: a
repository already in the results file is skipped. ``--only REPO`` measures that one only and
``--results FILE`` writes elsewhere (a before/after of one change, apart from the set's run).
``--driver overlay`` makes the plain build's storage and the stand-ins' overlay (the mode then
chooses overlay too where it builds here: modes/build/store.py); the default, vfs, is the driver
of the first-seen runs.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
PYTHON = HERE.parents[1] / ".venv" / "bin" / "python"
SNAPSHOT = Path(os.environ.get("MEASURED_SOURCE", str(HERE.parents[1] / "src")))
"""The source measured: a copy taken when the run starts, so edits during it change nothing."""
AGENT = [str(PYTHON), "-c", f"import sys; sys.path.insert(0, {str(SNAPSHOT)!r}); "
         "from cicd_agent.cli import main; sys.exit(main())"]  # fmt: skip
STANDINS = {
    row.split()[0]: row.split()[1]
    for row in (HERE / "standins.txt").read_text().splitlines()
    if row.strip() and not row.startswith("#")
}
"""FROM name -> the stand-in that serves it."""
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
LIMIT = 1200
MODE_LIMIT = 3.5
"""The mode is given this many times the plain build's time (at least LIMIT): a goal of 3x
must be measurable on a slow plain build."""


DRIVER = ["vfs"]
"""The storage driver of the plain build and the stand-ins (--driver)."""


def storage(folder: Path) -> list[str]:
    extra = ["--storage-opt", "overlay.skip_mount_home=true"] if DRIVER[0] == "overlay" else []
    return ["buildah", "--root", str(folder / "root"), "--runroot", str(folder / "run"),
            "--storage-driver", DRIVER[0], *extra]  # fmt: skip


def seed(folder: Path, standins: Path, names: list[str]) -> None:
    """A fresh storage holding the stand-in of each of ``names`` (FROM names), tagged with it."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**ENV, "HOME": str(folder), "TMPDIR": str(folder)}
    for standin in sorted({STANDINS[name] for name in names if name in STANDINS}):
        image = run([*storage(folder), "pull", "-q", f"oci-archive:{standins / standin}.tar"], env)
        for name in names:
            if STANDINS.get(name) == standin:
                full = name if "/" in name.split(":")[0] else f"docker.io/library/{name}"
                run([*storage(folder), "tag", image.stdout.split()[-1], full], env)


def from_names(texts: list[str]) -> list[str]:
    """The images the Dockerfiles' FROM lines name (stages they build left out)."""
    names: list[str] = []
    for text in texts:
        stages: set[str] = set()
        for line in text.splitlines():
            words = [w for w in line.split() if not w.startswith("--")]
            if len(words) >= 2 and words[0].upper() == "FROM":
                if words[1].lower() not in stages and words[1] not in names:
                    names.append(words[1])
                if len(words) >= 4 and words[2].upper() == "AS":
                    stages.add(words[3].lower())
    return names


def run(argv: list[str], env: dict[str, str], cwd: Path | None = None,
        limit: float = LIMIT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=limit, check=False)


def cpu() -> float:
    """CPU seconds (user and system) of this process's finished children and theirs, every
    descendant reaped first: bubblewrap's PID namespace leaves the builders' processes to the
    nearest subreaper (this process, :func:`main`), whose wait alone counts their time."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.1)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def load() -> float:
    return round(os.getloadavg()[0], 1)


def layer_sizes(folder: Path, layout: Path) -> list[int]:
    """buildah's own uncompressed size per layer (its storage's diff-size), bottom first. The
    mode keeps two storages (modes/build/store.py): the kept one (``trusted``) stays after the
    run, the run's own is removed as it ends; a layer only that one held is sized by its blob
    in the layout, which is then the same uncompressed tar."""
    index = json.loads((layout / "index.json").read_text())
    blob = lambda d: layout / "blobs" / "sha256" / d.split(":", 1)[1]  # noqa: E731
    manifest = json.loads(blob(index["manifests"][0]["digest"]).read_text())
    config = json.loads(blob(manifest["config"]["digest"]).read_text())
    by_diff: dict[str, int] = {}
    for known in folder.glob(f"**/{DRIVER[0]}-layers/layers.json"):
        by_diff |= {x.get("diff-digest"): x.get("diff-size") for x in json.loads(known.read_text())}
    for layer in manifest["layers"]:
        if layer["mediaType"].endswith(".tar"):
            by_diff.setdefault(layer["digest"], layer["size"])
    return [by_diff.get(diff, -1) for diff in config["rootfs"]["diff_ids"]]


def one(line: str, mirrors: Path, standins: Path, work: Path, tag: str = "") -> dict[str, object]:
    repo_name, dockerfile, base, head = line.split()
    out: dict[str, object] = {"repo": repo_name, "dockerfile": dockerfile, "base": base, "head": head,
                              "driver": DRIVER[0]}  # fmt: skip
    repo = work / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    mirror = mirrors / repo_name.replace("/", "+") / "repo"
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(mirror), str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", head], check=True)
    context = str(Path(dockerfile).parent)
    texts = [subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{dockerfile}"],
                            capture_output=True, text=True, check=False).stdout
             for rev in (base, head)]  # fmt: skip
    names = from_names(texts)
    out["standins"] = {name: STANDINS.get(name) for name in names}
    # plain: one buildah build of the head
    plain = work / "plain"
    seed(plain, standins, from_names(texts[1:]))
    env = {**ENV, "HOME": str(plain), "TMPDIR": str(plain)}
    started, spent = time.monotonic(), cpu()
    out["load_start"] = load()
    done = run([*storage(plain), "build", "--isolation", "chroot", "--layers", "--pull=never",
                "-f", str(repo / dockerfile), "-t", "plain", str(repo / context)], env)  # fmt: skip
    out["plain_seconds"] = round(time.monotonic() - started, 1)
    out["plain_cpu_seconds"] = round(cpu() - spent, 1)
    out["plain_ok"] = done.returncode == 0
    out["plain_tail"] = (done.stdout + done.stderr).strip().splitlines()[-3:]
    shutil.rmtree(plain, ignore_errors=True)
    # the mode
    mode = work / "mode"
    seed(mode / "trusted", standins, names)  # the kept storage: the run's own reads it
    env = {**ENV, "HOME": str(work / "home"), "RUNNER_TEMP": str(work)}
    started, spent = time.monotonic(), cpu()
    try:
        done = run([*AGENT, "build", "--repo", str(repo), "--base", base, "--head", head,
                    "--dockerfile", dockerfile, "--context", context, "--builder", "buildah",
                    "--cache-dir", str(mode), "--vuln-db", "none", "--json"], env, cwd=work,
                   limit=max(LIMIT, MODE_LIMIT * float(out["plain_seconds"])))  # fmt: skip
        out["mode_exit"] = done.returncode
        logs = HERE / "logs"
        logs.mkdir(exist_ok=True)
        (logs / f"{tag}{repo_name.replace('/', '+')}.log").write_text(done.stderr)
        out["mode_tail"] = done.stderr.strip().splitlines()[-3:]
        out["mode_storage"] = [x.strip()[:300] for x in done.stderr.splitlines() if "storage: " in x][:1]
        out["base_not_built"] = [x[:300] for x in done.stderr.splitlines() if "base was not built" in x]
    except subprocess.TimeoutExpired as stopped:
        out["mode_exit"] = "timeout"
        done = None
        said = stopped.stderr or ""
        said = said.decode(errors="replace") if isinstance(said, bytes) else said
        (HERE / "logs" / f"{tag}{repo_name.replace('/', '+')}.log").write_text(said)
        out["mode_tail"] = said.strip().splitlines()[-3:]
    out["mode_seconds"] = round(time.monotonic() - started, 1)
    out["mode_cpu_seconds"] = round(cpu() - spent, 1)
    out["load_end"] = load()
    if done is not None and done.returncode in (0, 1) and done.stdout.strip():
        report = json.loads(done.stdout)
        for key in ("image_size", "image_size_delta", "wasted_bytes", "build_strategy"):
            out[key] = report.get(key)
        out["advice"] = [
            {k: a.get(k) for k in ("rule", "line", "status", "size_before", "size_after", "why",
                                   "same_files", "cache_kept")}
            for a in report.get("advice", [])
        ]  # fmt: skip
        for key in ("packages_added", "packages_removed", "packages_changed"):
            found = report.get(key, [])
            out[key] = len(found)
            out[f"{key}_with_line"] = sum(1 for p in found if p.get("line") is not None)
            out[f"{key}_first"] = [[p["purl"], p.get("line")] for p in found[:5]]
        sizes = layer_sizes(mode, Path(report["image"]))
        out["lines"] = [
            {"line": row["line"], "instruction": row["instruction"][:60], "added": row["added_bytes"],
             "wasted": row.get("wasted_bytes"), "cached": row.get("cached"),
             "buildah": sizes[row["layer"]] if row.get("layer") is not None else None}  # fmt: skip
            for row in report.get("instructions", [])
        ]
    shutil.rmtree(mode, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mirrors", type=Path)
    parser.add_argument("standins", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--only", default="")
    parser.add_argument("--results", type=Path, default=HERE / "results.jsonl")
    parser.add_argument("--driver", choices=("vfs", "overlay"), default="vfs")
    args = parser.parse_args()
    DRIVER[0] = args.driver
    mirrors, standins, work, results = args.mirrors, args.standins, args.work, args.results
    done = {json.loads(x)["repo"] for x in results.read_text().splitlines()} if results.exists() else set()
    for line in (HERE / "dataset.txt").read_text().splitlines():
        if not line.strip() or line.split()[0] in done or args.only not in ("", line.split()[0]):
            continue
        print(f"{time.strftime('%H:%M:%S')} {line.split()[0]}", file=sys.stderr, flush=True)
        try:
            tag = "" if results.name == "results.jsonl" else f"{results.stem}-"
            out = one(line, mirrors, standins, work, tag)
        except Exception as exc:
            out = {"repo": line.split()[0], "error": repr(exc)[:500]}
        with results.open("a") as handle:
            handle.write(json.dumps(out) + "\n")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    os.umask(0o022)
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: see cpu()
    main()
