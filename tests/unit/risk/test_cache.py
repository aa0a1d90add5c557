"""deploy-gate's caches (the mined history and the fit) under attack: two runs at once, a run
killed mid-write, and files damaged or written by another release. A cache may cost time,
never the run: each damaged file is set aside with a note and rebuilt."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import mining
from cicd_agent.risk.records import MinedCommit
from tests.git_builder import GitRepoBuilder
from tests.unit.risk.test_fit import rewritten_history, run

HISTORY = "risk-history-v*.jsonl.gz"
MODEL = "risk-model-v*.json.gz"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> GitRepoBuilder:
    return rewritten_history(tmp_path_factory.mktemp("cache-app"), 20)


@pytest.fixture(scope="module")
def clean(app: GitRepoBuilder, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The outputs of a run with an empty cache: what every recovered run must say (and, as
    ``cache``, the folder that run filled)."""
    folder = tmp_path_factory.mktemp("clean")
    code, outputs, document = run(folder, app.path)
    assert code == 0, outputs.get("error")
    assert not cache_notes(document), document["notes"]
    outputs["mined"] = str(len(records(one(folder / "cache", HISTORY))))
    outputs["cache"] = str(folder / "cache")
    return outputs


def filled(clean: dict[str, str], tmp_path: Path) -> Path:
    """This test's cache as a run on an empty one leaves it (the history and the fit): a copy
    of the clean run's, instead of mining and fitting the same history again."""
    return Path(shutil.copytree(clean["cache"], tmp_path / "cache"))


def records(path: Path) -> list[dict[str, Any]]:
    """Every record of a history file, read strictly: a damaged file fails here."""
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def cache_notes(document: dict[str, Any]) -> list[str]:
    return [note for note in document["notes"] if "cache" in note]


def one(cache: Path, pattern: str) -> Path:
    (found,) = cache.glob(pattern)
    return found


# --- damage ------------------------------------------------------------------------------


def broken_crc(data: bytes) -> bytes:
    return data[:-8] + bytes([data[-8] ^ 0xFF]) + data[-7:]


def not_utf8(data: bytes) -> bytes:
    return data + gzip.compress(b'{"v":2,"sha":"caf\xe9","parents":[]}\n\xff\xfe\x00\n')


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def another_version(data: bytes) -> bytes:
    text = gzip.decompress(data).decode()
    if text.startswith("{") and "\n" in text.strip():  # the history: one record a line
        lines = [json.loads(line) for line in text.splitlines()]
        return gzip.compress(
            "".join(json.dumps({**r, "v": 1, "files": "old"}) + "\n" for r in lines).encode()
        )
    return gzip.compress(json.dumps({"version": 99, "state": [1, 2]}).encode())


def not_gzip(data: bytes) -> bytes:
    return b"\x1f\x8b not really gzip" + data[40:80]


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "broken CRC": broken_crc,
    "bytes not UTF-8": not_utf8,
    "truncated": truncated,
    "another version": another_version,
    "not gzip": not_gzip,
}


@pytest.mark.parametrize("kind", DAMAGE)
@pytest.mark.parametrize("pattern", [HISTORY, MODEL])
def test_a_damaged_cache_file_is_set_aside_with_a_note_and_rebuilt(
    app: GitRepoBuilder, clean: dict[str, str], tmp_path: Path, pattern: str, kind: str
) -> None:
    cache = filled(clean, tmp_path)
    target = one(cache, pattern)
    target.write_bytes(DAMAGE[kind](target.read_bytes()))
    if pattern == HISTORY:
        one(cache, MODEL).unlink()  # the history is read only when a fit is made
    code, outputs, document = run(tmp_path, app.path)
    assert code == 0, outputs.get("error")
    assert outputs["risk_score"] == clean["risk_score"]
    assert any("set aside" in note and target.name in note for note in document["notes"]), document[
        "notes"
    ]
    assert target.with_name(target.name + ".damaged").is_file()
    # Rebuilt: the next run reads it without a note, and the history is whole.
    code, _, again = run(tmp_path, app.path)
    assert code == 0 and not cache_notes(again), again["notes"]
    if pattern == HISTORY:
        assert len(records(target)) == int(clean["mined"])


def test_a_damaged_history_is_read_up_to_the_damage_by_the_miner(
    app: GitRepoBuilder, tmp_path: Path
) -> None:
    repo = GitRepo.open(app.path)
    whole = mining.mine(repo, "HEAD", tmp_path)
    target = one(tmp_path, HISTORY)
    target.write_bytes(not_utf8(target.read_bytes()))
    notes: list[str] = []
    assert mining.mine(repo, "HEAD", tmp_path, notes=notes) == whole
    assert len(notes) == 1 and "set aside" in notes[0]
    assert len(records(target)) == len(whole)


# --- two runs at once ----------------------------------------------------------------------


def _mine_at_the_barrier(
    path: str, cache: str, tip: str, barrier: Any, commits: list[MinedCommit]
) -> None:
    """One of several runs that reach the cache write at the same moment."""

    def read_commits(_repo: GitRepo, shas: list[str]) -> list[MinedCommit]:
        barrier.wait()
        wanted = set(shas)
        return [commit for commit in commits if commit.sha in wanted]

    mining.read_commits = read_commits  # type: ignore[assignment]
    mining.mine(GitRepo.open(Path(path)), tip, Path(cache))


def test_runs_that_write_the_history_at_once_leave_a_whole_file(
    app: GitRepoBuilder, tmp_path: Path
) -> None:
    """The issue's failure: two runs appended to one gzip file, its CRC broke, and every run
    after ended in exit 3. Here four runs write at the same moment, each having read the same
    cache (a prefix of the history) and mined the rest."""
    repo = GitRepo.open(app.path)
    whole = mining.mine(repo, "HEAD", tmp_path / "reference")
    for _round in range(3):
        cache = tmp_path / f"cache{_round}"
        mining.mine(repo, "HEAD~100", cache)
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(4)
        workers = [
            context.Process(
                target=_mine_at_the_barrier,
                args=(str(app.path), str(cache), "HEAD", barrier, whole),
            )
            for _ in range(4)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
            assert worker.exitcode == 0
        assert len(records(one(cache, HISTORY))) == len(whole)
        notes: list[str] = []
        assert mining.mine(repo, "HEAD", cache, notes=notes) == whole
        assert not notes


def test_two_deploy_gate_runs_at_once_on_one_repository(
    app: GitRepoBuilder, clean: dict[str, str], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    argv = [
        sys.executable, "-m", "cicd_agent", "deploy-gate", "--provider", "none",
        "--repo", str(app.path), "--json", "--cache-dir", str(cache),
        "--deploy-time", "2026-11-18T12:00:00+00:00",
    ]  # fmt: skip
    runs = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    ]
    for process in runs:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode(errors="replace")
        assert json.loads(out)["risk_score"] == float(clean["risk_score"])
    code, outputs, document = run(tmp_path, app.path)
    assert code == 0 and outputs["risk_score"] == clean["risk_score"]
    assert not cache_notes(document), document["notes"]
    assert len(records(one(cache, HISTORY))) == int(clean["mined"])


# --- a run killed mid-write ----------------------------------------------------------------


KILLED_AT = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it: let the kernel kill
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from cicd_agent.cli import main
sys.exit(main(sys.argv[2:]))
"""
"""Run the CLI in a process the kernel kills at its first write past a size."""


@pytest.mark.parametrize("headroom", [300, 1_500, 10_000])
def test_a_run_killed_mid_write_costs_the_next_run_nothing(
    app: GitRepoBuilder, clean: dict[str, str], tmp_path: Path, headroom: int
) -> None:
    """The kernel stops the run (SIGXFSZ) at the first write past a size: in the history's
    write (the first ``headroom``) or the fit's (the larger ones)."""
    cache = tmp_path / "cache"
    repo = GitRepo.open(app.path)
    mining.mine(repo, "HEAD~100", cache)  # a cache of an earlier run to extend
    size = one(cache, HISTORY).stat().st_size
    killed = subprocess.run(
        [
            sys.executable, "-c", KILLED_AT, str(size + headroom),
            "deploy-gate", "--provider", "none", "--repo", str(app.path),
            "--cache-dir", str(cache), "--deploy-time", "2026-11-18T12:00:00+00:00",
        ],
        capture_output=True,
        check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGXFSZ, killed.stderr.decode(errors="replace")
    for path in cache.iterdir():  # as old as a leftover of a run killed long ago
        os.utime(path, (1_600_000_000, 1_600_000_000))
    code, outputs, document = run(tmp_path, app.path)
    assert code == 0, outputs.get("error")
    assert outputs["risk_score"] == clean["risk_score"]
    assert not cache_notes(document), document["notes"]
    assert len(records(one(cache, HISTORY))) == int(clean["mined"])
    names = sorted(path.name for path in cache.iterdir())
    assert len(names) == 2, names  # the history and the fit: no leftover of the killed run


def test_a_read_only_cache_serves_and_the_run_goes_on(
    app: GitRepoBuilder, clean: dict[str, str], tmp_path: Path
) -> None:
    cache = filled(clean, tmp_path)
    one(cache, MODEL).unlink()
    cache.chmod(0o500)
    try:
        code, outputs, _ = run(tmp_path, app.path)
    finally:
        cache.chmod(0o700)
    assert code == 0 and outputs["risk_score"] == clean["risk_score"]


# --- scoring from the cache needs no scikit-learn ---------------------------------------------

NO_SKLEARN = """
import sys
sys.modules["sklearn"] = None  # importing it now raises ImportError
from cicd_agent.cli import main
code = main(sys.argv[1:])
heavy = [n for n, m in sys.modules.items() if m and n.split(".")[0] in ("sklearn", "scipy", "numpy")]
assert not heavy, heavy
sys.exit(code)
"""


def test_a_cached_fit_scores_without_scikit_learn_or_numpy(
    app: GitRepoBuilder, clean: dict[str, str], tmp_path: Path
) -> None:
    """Importing scikit-learn was 1.5-2.3 s of a 2 s deploy-gate run with a warm cache; the
    cached fit holds every number scoring needs."""
    filled(clean, tmp_path)  # the cache holds the fit
    done = subprocess.run(
        [
            sys.executable, "-c", NO_SKLEARN, "deploy-gate", "--provider", "none",
            "--repo", str(app.path), "--json", "--cache-dir", str(tmp_path / "cache"),
            "--deploy-time", "2026-11-18T12:00:00+00:00",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["risk_score"] == float(clean["risk_score"])


def test_a_cold_fit_scores_as_the_fit_ranked_its_past(app: GitRepoBuilder) -> None:
    """The plain-number scoring of a fit gives every training row the log-odds the fit ranked
    it by, to 1e-9: what is cached is the model, not an approximation of it."""
    from cicd_agent.risk import jit
    from cicd_agent.risk import model as risk_model
    from cicd_agent.risk.jit import reverted
    from cicd_agent.risk.prior import Ranks, load_prior

    past = mining.mine(GitRepo.open(app.path), "HEAD")
    rows, _ = jit.replay(past)
    labels = risk_model.own_labels([c.sha for c in past], reverted(past), set())
    model = risk_model.fit(rows, labels, load_prior())
    assert model is not None and model.own
    ranks = Ranks(model.knots)
    got = sorted(risk_model._logit(model.intercept, model.coef, ranks.row(row)) for row in rows)
    assert max(abs(a - b) for a, b in zip(got, model.past_logits, strict=True)) < 1e-9


# --- planted files (attack3) ---------------------------------------------------------------


def test_a_fifo_planted_as_the_history_is_set_aside_not_waited_on(
    app: GitRepoBuilder, tmp_path: Path
) -> None:
    """A named pipe at the cache path: opening it to read waits for a writer for ever."""
    import threading

    repo = GitRepo.open(app.path)
    whole = mining.mine(repo, "HEAD", tmp_path / "warm")
    target = tmp_path / "cache" / one(tmp_path / "warm", HISTORY).name
    target.parent.mkdir()
    os.mkfifo(target)
    notes: list[str] = []
    found: list[list[MinedCommit]] = []
    miner = threading.Thread(
        target=lambda: found.append(mining.mine(repo, "HEAD", target.parent, notes=notes)),
        daemon=True,
    )
    miner.start()
    miner.join(60)
    if miner.is_alive():  # release the miner: a writer opens the pipe and closes it at once
        os.close(os.open(target, os.O_WRONLY | os.O_NONBLOCK))
        miner.join(60)
        pytest.fail("mining waited on a FIFO planted at the cache path")
    assert found == [whole]
    assert len(notes) == 1 and "set aside" in notes[0], notes
    assert len(records(target)) == len(whole)


def test_a_gzip_bomb_planted_as_the_history_is_damage_not_memory(
    app: GitRepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """64 MiB of zeros in 64 KB of gzip; the bound is lowered so the test stays small."""
    from cicd_agent.local import cachefile

    repo = GitRepo.open(app.path)
    whole = mining.mine(repo, "HEAD", tmp_path)
    target = one(tmp_path, HISTORY)
    target.write_bytes(gzip.compress(bytes(64 << 20), compresslevel=9))
    monkeypatch.setattr(cachefile, "MAX_DATA_BYTES", 1 << 20, raising=False)
    notes: list[str] = []
    assert mining.mine(repo, "HEAD", tmp_path, notes=notes) == whole
    assert len(notes) == 1 and "decompressed" in notes[0], notes
    assert len(records(target)) == len(whole)
