"""Coverage data files a run leaves are bounded before the host reads one: real pytest, real
coverage.py, the real sandbox. Each Python process a run starts leaves a data file that the host
opens and merges after a suite's run; a candidate (or the pull request's code it calls) that
leaves thousands made that merge take as long as it liked."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import coverage
import pytest

from cicd_agent.job.pipeline import ask_model
from cicd_agent.modes.gen_tests.analyse import analyse
from cicd_agent.modes.gen_tests.ask import ask
from cicd_agent.modes.gen_tests.collect import collect, run_suite
from cicd_agent.modes.gen_tests.coverage_gaps import (
    MAX_DATA_FILES,
    MAX_DATA_ROWS,
    CoverageMeter,
    TooMuchCoverageData,
    data_files,
)
from cicd_agent.modes.gen_tests.stages import Stage
from cicd_agent.modes.gen_tests.suite import ProjectCommand
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from tests.fixtures.gentests_project.build import make_repo
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.gen_tests import gate_reruns, gen_tests_context, path_env
from tests.modes.gen_tests.gate_bench import Bench, evaluate, gate_bench

_LEAVE_DATA_FILES = '''
import configparser, os, shutil

import coverage


def leave_data_files(count):
    """Write ``count`` real coverage data files where this run's processes write theirs
    (a run without coverage has no such place)."""
    if "COVERAGE_PROCESS_START" not in os.environ:
        return
    config = configparser.ConfigParser()
    config.read(os.environ["COVERAGE_PROCESS_START"])
    basename = config.get("run", "data_file")
    first = coverage.CoverageData(basename=basename, suffix="left0")
    first.add_arcs({os.path.abspath(__file__): [(-1, 1), (1, -1)]})
    first.write()
    for number in range(1, count):
        shutil.copyfile(first.data_filename(), f"{basename}.left{number}")
'''

MANY = MAX_DATA_FILES + 200

CANDIDATE = f"""
{_LEAVE_DATA_FILES}
from shop.pricing import coupon_value


def test_coupon():
    leave_data_files({MANY})
    assert coupon_value("SAVE10") == 10
    assert coupon_value("x") == 0
"""


ONLY_IN_A_SUITES_RUN = f"""
{_LEAVE_DATA_FILES}
from shop.pricing import coupon_value


def test_coupon():
    if "COVERAGE_PROCESS_START" in os.environ:
        config = configparser.ConfigParser()
        config.read(os.environ["COVERAGE_PROCESS_START"])
        if os.path.dirname(config.get("run", "data_file")).endswith(".data"):
            leave_data_files({MANY})
    assert coupon_value("SAVE10") == 10
    assert coupon_value("x") == 0
"""


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    with gate_reruns(1), gate_bench(tmp_path_factory.mktemp("data-files") / "shop") as bench:
        yield bench


@pytest.mark.slow
def test_a_candidate_that_leaves_too_many_coverage_data_files_is_rejected(
    bench: Bench,
) -> None:
    """Attack: the candidate passes and covers the segment, but its run leaves more data files
    than the host reads. It was accepted, and the suite's run with it made the host merge them
    all. It is rejected at ``pass`` with the reason, and the gate goes on judging others."""
    verdict = evaluate(bench, CANDIDATE)
    assert verdict.stopped_at is Stage.PASS, verdict.reason
    assert f"more than {MAX_DATA_FILES:,} files in its coverage data folder" in verdict.reason
    assert "fewer Python processes" in verdict.feedback
    good = CANDIDATE.replace(f"leave_data_files({MANY})", "leave_data_files(3)")
    assert evaluate(bench, good, label="few").accepted


def test_a_suite_that_leaves_too_many_coverage_data_files_is_not_merged(tmp_path: Path) -> None:
    """Attack: the pull request's suite leaves more data files than the host reads in the
    folder its processes share: the host merged every one. It is refused, with the cap in
    the one line the run reports, before any is opened."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "tests").mkdir()
    (checkout / "pkg" / "__init__.py").write_text("def double(x):\n    return x * 2\n")
    suite = f"{_LEAVE_DATA_FILES}\n\ndef test_double():\n    leave_data_files({MANY})\n"
    (checkout / "tests" / "test_pkg.py").write_text(suite)
    with Sandbox(checkout, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        meter = CoverageMeter(sandbox, ["pkg/__init__.py"])
        command = ProjectCommand.parse("python -m pytest -q")
        with pytest.raises(TooMuchCoverageData) as caught:
            run_suite(meter, command, timeout=120, label="suite")
    assert f"more than {MAX_DATA_FILES:,} files in its coverage data folder" in str(caught.value)


_LEAVE_FILES_COVERAGE_WILL_NOT_MERGE = """
import configparser, os, sqlite3

import coverage
from pkg import double


def test_double():
    assert double(2) == 4
    config = configparser.ConfigParser()
    config.read(os.environ["COVERAGE_PROCESS_START"])
    basename = config.get("run", "data_file")
    lines = coverage.CoverageData(basename=basename, suffix="lines")
    lines.add_lines({os.path.abspath("pkg/__init__.py"): [1]})
    lines.write()
    traced = coverage.CoverageData(basename=basename, suffix="traced")
    traced.add_arcs({os.path.abspath("pkg/__init__.py"): [(-1, 1)]})
    traced.add_file_tracers({os.path.abspath("pkg/__init__.py"): "planted.Tracer"})
    traced.write()
    both = coverage.CoverageData(basename=basename, suffix="both")
    both.add_arcs({os.path.abspath("pkg/__init__.py"): [(-1, 1)]})
    both.write()
    database = sqlite3.connect(both.data_filename())
    with database:  # branch data by its own word, with statement data beside
        database.execute("INSERT INTO line_bits (file_id, context_id, numbits) VALUES (1, 1, x'02')")
    database.close()
    bare = coverage.CoverageData(basename=basename, suffix="bare")
    bare.add_arcs({os.path.abspath("pkg/__init__.py"): [(-1, 1)]})
    bare.write()
    database = sqlite3.connect(bare.data_filename())
    with database:  # no contexts to merge the arcs under
        database.execute("DROP TABLE context")
    database.close()
    for number, (path, start) in enumerate([(5, "-1"), (x := os.path.abspath("pkg/__init__.py"), "one")]):
        odd = coverage.CoverageData(basename=basename, suffix=f"odd{number}")
        odd.add_arcs({x: [(-1, 1)]})
        odd.write()
        database = sqlite3.connect(odd.data_filename())
        with database:  # a path that is no text, a line that is no number
            database.execute("UPDATE file SET path = ?", (path,))
            database.execute("UPDATE arc SET fromno = ?", (start,))
        database.close()
"""


def test_a_data_file_coverage_refuses_to_merge_counts_nothing(tmp_path: Path) -> None:
    """Attack: the suite leaves data files coverage.py cannot merge with the run's own: one
    of statements (ours measure branches), one naming another tracer for a target file, one
    that says it measured branches but holds statement rows, one without a table coverage.py
    merges from, and two with a path or a line number of another type. The first four failed
    the whole measurement (the run ended, exit 3), the last two made the report skip the
    target file. Such a file counts nothing, and the rest of the run is measured."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "tests").mkdir()
    (checkout / "pkg" / "__init__.py").write_text("def double(x):\n    return x * 2\n")
    (checkout / "tests" / "test_pkg.py").write_text(_LEAVE_FILES_COVERAGE_WILL_NOT_MERGE)
    with Sandbox(checkout, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        meter = CoverageMeter(sandbox, ["pkg/__init__.py"])
        command = ProjectCommand.parse("python -m pytest -q")
        baseline, coverage, _ = run_suite(meter, command, timeout=120, label="suite")
    assert baseline.passed == {"tests/test_pkg.py::test_double"}
    assert coverage.executed_lines("pkg/__init__.py") == {1, 2}


@pytest.mark.slow
def test_a_run_with_the_accepted_tests_that_leaves_too_many_files_is_not_measured(
    tmp_path: Path, model_server: Any
) -> None:
    """Attack: the pull request's code (or the test) leaves the files only in the suite's run
    with every accepted test, whose folder it tells from the candidate's: the gate saw none.
    That run is not merged; the accepted test stays, and a note says the coverage after was
    not measured, instead of the host merging every file."""
    model_server.answer({"test_module": ONLY_IN_A_SUITES_RUN, "rationale": "coupon codes"})
    base, head = make_repo(tmp_path / "shop")
    model = ["--provider", "openai", "--base-url", model_server.base_url]
    flags = ["--repo", str(tmp_path / "shop"), "--base", base, "--head", head, *model]
    ctx = gen_tests_context(tmp_path, flags, OPENAI_API_KEY=TEST_API_KEY)
    with gate_reruns(1), ctx.resources:
        facts, sandbox = collect(ctx, ctx.resources)
        verdict = analyse(facts)
        jobs = tuple(job for job in verdict.jobs if job.segment.qualname == "coupon_value")
        opinion = ask_model(
            ctx, lambda model: ask(ctx, model, facts, dataclasses.replace(verdict, jobs=jobs), sandbox)
        )
    assert opinion is not None and len(opinion.accepted) == 1
    assert opinion.coverage_after is None
    [note] = [note for note in ctx.notes if "coverage after was not measured" in note]
    assert f"more than {MAX_DATA_FILES:,} files" in note


FORGES_THE_COVERAGE_AFTER = """
import configparser, os

import coverage
from shop.pricing import coupon_value


def test_coupon():
    if "COVERAGE_PROCESS_START" in os.environ:
        config = configparser.ConfigParser()
        config.read(os.environ["COVERAGE_PROCESS_START"])
        basename = config.get("run", "data_file")
        if os.path.dirname(basename).endswith(".data"):
            forged = coverage.CoverageData(basename=basename, suffix="evidence0")
            targets = config.get("run", "include").split()
            forged.add_arcs({t: [(-1, 1), *((n, n + 1) for n in range(1, 400))] for t in targets})
            forged.write()
    assert coupon_value("SAVE10") == 10
    assert coupon_value("x") == 0
"""


@pytest.mark.slow
def test_a_data_file_an_accepted_test_forges_cannot_claim_the_coverage_after(
    tmp_path: Path, model_server: Any
) -> None:
    """Attack: an accepted test (it covers its segment, as the gate measured in its own
    process) writes a data file only in the suite's run with every accepted test, claiming
    every line and branch of every target ran, under the name the host gives the pytest
    process's own data. The coverage after counts no line or branch that neither the suite
    before nor an accepted test ran, and no line that is no statement."""
    model_server.answer({"test_module": FORGES_THE_COVERAGE_AFTER, "rationale": "coupon codes"})
    base, head = make_repo(tmp_path / "shop")
    model = ["--provider", "openai", "--base-url", model_server.base_url]
    flags = ["--repo", str(tmp_path / "shop"), "--base", base, "--head", head, *model]
    ctx = gen_tests_context(tmp_path, flags, OPENAI_API_KEY=TEST_API_KEY)
    with gate_reruns(1), ctx.resources:
        facts, sandbox = collect(ctx, ctx.resources)
        verdict = analyse(facts)
        jobs = tuple(job for job in verdict.jobs if job.segment.qualname == "coupon_value")
        opinion = ask_model(
            ctx, lambda model: ask(ctx, model, facts, dataclasses.replace(verdict, jobs=jobs), sandbox)
        )
    assert opinion is not None and len(opinion.accepted) == 1
    before, after = facts.coverage, opinion.coverage_after
    assert before is not None and after is not None
    [test] = opinion.accepted
    target = test.target.rpartition("::")[0]
    for path, found in after.files.items():
        ran = before.executed_lines(path) | (set(test.gained_lines) if path == target else set())
        branches = before.executed_arcs(path) | (set(test.gained_arcs) if path == target else set())
        was = before.files.get(path)
        assert was is not None
        assert found.executed_lines <= ran, path
        assert found.executed_arcs <= branches, path
        assert found.statements == was.statements, path
    assert after.executed_lines(target) >= set(test.gained_lines)


def test_what_a_run_leaves_in_its_data_folder_is_never_followed_nor_waited_on(
    tmp_path: Path,
) -> None:
    """Attack: beside one real data file, the run leaves a FIFO, links (to the host's
    ``/proc/self/environ``, to the FIFO, to a file outside the folder, to a folder), a folder
    of data files, a second name of the real file and names with line ends. Counting and
    merging them opens no FIFO (which would wait for a writer forever), follows no link and
    goes into no folder: the real file's counts, nothing else. A sparse file claiming 100 GiB
    is over the cap before a byte of it is read."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("def double(x):\n    return x * 2\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    with Sandbox(checkout, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        meter = CoverageMeter(sandbox, ["pkg/__init__.py"])
        space = sandbox.workspace("left")
        folder = space.scratch("coverage", ".data")
        folder.mkdir()
        config = meter._config(space, folder / ".coverage")
        real = coverage.CoverageData(basename=str(folder / ".coverage"), suffix="real")
        real.add_arcs({str(space.repo / "pkg" / "__init__.py"): [(-1, 1), (1, -1)]})
        real.write()
        elsewhere = coverage.CoverageData(basename=str(outside / ".coverage"), suffix="out")
        elsewhere.add_arcs({str(space.repo / "pkg" / "__init__.py"): [(-1, 2), (2, -1)]})
        elsewhere.write()
        os.mkfifo(folder / ".coverage.fifo")
        (folder / ".coverage.environ").symlink_to("/proc/self/environ")
        (folder / ".coverage.to-fifo").symlink_to(folder / ".coverage.fifo")
        (folder / ".coverage.outside").symlink_to(elsewhere.data_filename())
        (folder / ".coverage.folder").symlink_to(outside, target_is_directory=True)
        (folder / ".coverage.sub").mkdir()
        shutil.copyfile(elsewhere.data_filename(), folder / ".coverage.sub" / ".coverage.x")
        os.link(real.data_filename(), folder / ".coverage.second-name")
        shutil.copyfile(real.data_filename(), folder / ".coverage.line\nend")
        (folder / ".coverage.\nx").write_bytes(b"not a database")
        names = data_files(folder)
        assert set(names) == {
            ".coverage.real",
            ".coverage.second-name",
            ".coverage.line\nend",
            ".coverage.\nx",
        }
        report = meter._report(config, [], [folder])
        assert report.executed_lines("pkg/__init__.py") == {1}
        with (folder / ".coverage.sparse").open("wb") as sparse:
            sparse.truncate(100 << 30)
        try:
            with pytest.raises(TooMuchCoverageData, match="MiB of coverage data"):
                meter._report(config, [], [folder])
        finally:
            (folder / ".coverage.sparse").unlink()


def test_a_data_file_of_more_rows_than_the_host_merges_is_refused_before_the_merge(
    tmp_path: Path,
) -> None:
    """Attack: one data file, well under the cap in bytes, holds over a million branches of
    one target: the host merged every row, then held them all in memory as it reported (a
    file near the cap in bytes took minutes and gigabytes). Its rows are counted before the
    merge: over the cap, the run's data is refused as too much, as too many files are."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("def double(x):\n    return x * 2\n")
    with Sandbox(checkout, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        meter = CoverageMeter(sandbox, ["pkg/__init__.py"])
        space = sandbox.workspace("rows")
        folder = space.scratch("coverage", ".data")
        folder.mkdir()
        config = meter._config(space, folder / ".coverage")
        data = coverage.CoverageData(basename=str(folder / ".coverage"), suffix="rows")
        data.add_arcs({str(space.repo / "pkg" / "__init__.py"): [(-1, 1), (1, -1)]})
        data.write()
        database = sqlite3.connect(data.data_filename())
        with database:
            database.execute(
                "WITH RECURSIVE n(x) AS (SELECT 2 UNION ALL SELECT x + 1 FROM n LIMIT ?) "
                "INSERT INTO arc SELECT 1, 1, x, x + 1 FROM n",
                (MAX_DATA_ROWS,),
            )
        database.close()
        assert data_files(folder) == [".coverage.rows"]
        with pytest.raises(TooMuchCoverageData, match="rows of coverage data"):
            meter._report(config, [], [folder])


_KEEPS_WRITING = '''
import configparser, os, subprocess, sys

WRITER = """
import os, sys, time
folder = sys.argv[1]
for number in range(100_000):
    with open(os.path.join(folder, f".coverage.late{number}"), "w") as late:
        late.write("x")
    if not number:
        os.write(int(sys.argv[2]), b"up")
    time.sleep(0.005)
"""


def test_double():
    config = configparser.ConfigParser()
    config.read(os.environ["COVERAGE_PROCESS_START"])
    folder = os.path.dirname(config.get("run", "data_file"))
    read, write = os.pipe()
    subprocess.Popen(
        [sys.executable, "-c", WRITER, folder, str(write)],
        start_new_session=True, pass_fds=(write,), env={"PATH": os.environ["PATH"]},
    )
    assert os.read(read, 2) == b"up"  # it writes on after this test, and pytest, have ended
'''


def test_no_process_of_a_run_writes_its_data_folder_after_the_run_returns(
    tmp_path: Path,
) -> None:
    """Attack: the suite starts a process in a session of its own that keeps adding files to
    the coverage data folder after pytest ends, so what the host counted is not what it then
    reads. The run returns only once every process of it is gone: the folder the host counts
    and reads no longer changes."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "tests").mkdir()
    (checkout / "pkg" / "__init__.py").write_text("def double(x):\n    return x * 2\n")
    (checkout / "tests" / "test_pkg.py").write_text(_KEEPS_WRITING)
    with Sandbox(checkout, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        meter = CoverageMeter(sandbox, ["pkg/__init__.py"])
        space = sandbox.workspace("late")
        command = ProjectCommand.parse("python -m pytest -q")
        result, _, _ = meter.measure(command.suite, space, timeout=120, suite=True)
        [folder] = space.root.rglob("*.data")
        counted = sorted(os.listdir(folder))
        assert ".coverage.late0" in counted  # the writer was up before the run ended
        subprocess.run(["sleep", "0.5"], check=True)  # time for a writer still alive to write
        assert sorted(os.listdir(folder)) == counted
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("table", ["file", "context", "arc", "meta", "tracer", "line_bits"])
def test_a_data_file_with_a_corrupt_page_counts_nothing(tmp_path: Path, table: str) -> None:
    """Attack: beside a real data file, the run leaves a copy with one page of a table or its
    index overwritten. Whichever page it is, the measurement goes on without that file."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("def double(x):\n    return x * 2\n")
    with Sandbox(checkout, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        meter = CoverageMeter(sandbox, ["pkg/__init__.py"])
        space = sandbox.workspace("corrupt")
        folder = space.scratch("coverage", ".data")
        folder.mkdir()
        config = meter._config(space, folder / ".coverage")
        target = str(space.repo / "pkg" / "__init__.py")
        for suffix, arcs in (("real", [(-1, 1), (1, -1)]), ("torn", [(-1, 2), (2, -1)])):
            data = coverage.CoverageData(basename=str(folder / ".coverage"), suffix=suffix)
            data.add_arcs({target: arcs})
            data.write()
        torn = folder / ".coverage.torn"
        database = sqlite3.connect(torn)
        pages = database.execute(
            "SELECT rootpage FROM sqlite_master WHERE tbl_name = ? AND rootpage > 0", (table,)
        ).fetchall()
        size = database.execute("PRAGMA page_size").fetchone()[0]
        database.close()
        for (page,) in pages:
            with torn.open("r+b") as raw:
                raw.seek((page - 1) * size + 8)
                raw.write(b"\xff" * (size - 8))
            report = meter._report(config, [], [folder])  # no ExternalServiceError
            assert report.executed_lines("pkg/__init__.py") <= {1, 2}
            assert 1 in report.executed_lines("pkg/__init__.py")


def test_a_write_ahead_log_beside_a_data_file_adds_nothing_to_it(tmp_path: Path) -> None:
    """Attack: a data file in WAL mode whose log, left beside it under the name SQLite looks
    for, adds an endless view and statement rows after the file was written. The host reads
    each file it copies on its own: the log changes no data file, and the run is measured."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("def double(x):\n    return x * 2\n")
    with Sandbox(checkout, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        meter = CoverageMeter(sandbox, ["pkg/__init__.py"])
        space = sandbox.workspace("wal")
        folder = space.scratch("coverage", ".data")
        folder.mkdir()
        config = meter._config(space, folder / ".coverage")
        data = coverage.CoverageData(basename=str(folder / ".coverage"), suffix="wal")
        data.add_arcs({str(space.repo / "pkg" / "__init__.py"): [(-1, 1), (1, -1)]})
        data.write()
        work = tmp_path / "work"
        work.mkdir()
        shutil.copyfile(data.data_filename(), work / "db")
        database = sqlite3.connect(work / "db")
        database.execute("PRAGMA journal_mode = WAL")
        database.execute("PRAGMA wal_autocheckpoint = 0")
        with database:
            database.execute(
                "CREATE VIEW endless AS WITH RECURSIVE n(x) AS "
                "(SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n"
            )
            database.execute("INSERT INTO line_bits VALUES (1, 1, x'02')")
        shutil.copyfile(work / "db", folder / ".coverage.wal")
        shutil.copyfile(work / "db-wal", folder / ".coverage.wal-wal")
        database.close()
        report = meter._report(config, [], [folder])
    assert report.executed_lines("pkg/__init__.py") == {1}
