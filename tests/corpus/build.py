"""Build the failed-run corpus from real tools, or reuse the cached one.

``python -m tests.corpus.build [--out DIR] [--force]`` runs every case whose toolchain exists on
this machine (a few seconds each, in parallel) and writes, per case, the run's logs in its layout
(zip with step files, zip with job files only, a folder, or one job's text) plus each failed
job's whole log for the naive baseline, and a ``manifest.json`` with the ground truth. The cache
under ``.harness/corpus/`` is keyed by the generator's own source, so editing a case rebuilds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.corpus import cases as case_module
from tests.corpus.cases import CASES, Case, Ctx
from tests.corpus.runner_log import whole_logs, write_layout
from tests.corpus.tools import TOOLS_DIR, Toolbox, available, exclusive

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEST = REPO_ROOT / ".harness" / "corpus"
WORKERS = 3
TIMINGS: dict[str, float] = {}


@dataclass(frozen=True)
class Entry:
    """One built case as the tests read it back."""

    name: str
    failure_type: str
    truth: list[str]
    logs: str
    layout: str
    failed_jobs: dict[str, str]
    """Failed job name -> its whole log (relative path), for the naive baseline."""


def source_key() -> str:
    """A hash of the generator's source: the cache is valid while it is unchanged."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(Path(case_module.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _write_case(built: Case, dest: Path) -> Entry:
    folder = dest / "cases" / built.name
    folder.mkdir(parents=True)
    logs = write_layout(built.jobs, folder, built.layout)
    failed = {}
    naive = folder / "naive"
    naive.mkdir()
    for index, (name, content) in enumerate(whole_logs(built.jobs).items()):
        job = next(job for job in built.jobs if job.name == name)
        if job.conclusion == "success":
            continue
        path = naive / f"{index}.txt"
        path.write_bytes(content)
        failed[name] = path.relative_to(dest).as_posix()
    return Entry(
        built.name,
        built.failure_type,
        built.truth,
        logs.relative_to(dest).as_posix(),
        built.layout,
        failed,
    )


def _attempt(builder: Callable[[Ctx], Case], ctx: Ctx) -> Case | str:
    """The built case, or why its tool did not produce the expected failure."""
    started = time.monotonic()
    try:
        built = builder(ctx)
        TIMINGS[builder.__name__] = time.monotonic() - started
        return built
    except (AssertionError, OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"[:2000]


def build(dest: Path = DEFAULT_DEST) -> dict[str, object]:
    """Run every available case from scratch into ``dest``; return the manifest."""
    started = time.monotonic()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    toolbox = Toolbox(TOOLS_DIR)
    toolbox.prepare()

    def has(tool: str) -> bool:
        name = tool.removeprefix("tool:")
        return toolbox.bin(name) is not None if name != tool else available(tool)

    runnable = {n: b for n, (req, b) in CASES.items() if all(has(t) for t in req)}
    skipped = {
        n: [t for t in req if not has(t)] for n, (req, _) in CASES.items() if n not in runnable
    }
    with tempfile.TemporaryDirectory(prefix="corpus-") as scratch:
        ctx = Ctx(Path(scratch), toolbox)
        _ = ctx.noise.passing_tests, ctx.noise.compile_warnings, ctx.noise.mypy_cache  # once
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(lambda builder: _attempt(builder, ctx), runnable.values()))
    entries = [_write_case(result, dest) for result in results if isinstance(result, Case)]
    manifest = {
        "key": source_key(),
        "seconds": round(time.monotonic() - started, 1),
        "cases": [asdict(entry) for entry in entries],
        "skipped": skipped,
        "case_seconds": {name: round(t, 1) for name, t in sorted(TIMINGS.items())},
        "broken": {
            name: r for name, r in zip(runnable, results, strict=True) if isinstance(r, str)
        },
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def load(dest: Path = DEFAULT_DEST) -> tuple[list[Entry], dict[str, object]]:
    """The corpus at ``dest``, rebuilt first if missing or built from other sources."""
    manifest_path = dest / "manifest.json"
    manifest: dict[str, object] | None = None
    with exclusive(dest):  # test workers share it: one builds, the others wait and read
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("key") != source_key():
                manifest = None
        if manifest is None:
            manifest = build(dest)
    raw_cases = manifest["cases"]
    assert isinstance(raw_cases, list)
    return [Entry(**raw) for raw in raw_cases], manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_DEST)
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    manifest = build(args.out) if args.force else load(args.out)[1]
    cases = manifest["cases"]
    assert isinstance(cases, list)
    print(
        f"{len(cases)} cases in {args.out} (built in {manifest['seconds']} s);"
        f" skipped: {manifest['skipped'] or 'none'}"
    )
    for name, why in dict(manifest.get("broken") or {}).items():  # type: ignore[call-overload]
        print(f"BROKEN {name}: {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
