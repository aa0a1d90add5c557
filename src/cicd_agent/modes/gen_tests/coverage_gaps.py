"""Line and branch coverage of the target files, measured by coverage.py in a sandbox run.

The user's command runs unchanged; coverage starts in every Python process it spawns through
the boot folder's ``sitecustomize`` and ``COVERAGE_PROCESS_START`` (branch coverage). Only the
target files are measured. The pytest process hands its data back through the evidence pipe
(:mod:`.reruns`); a candidate's run counts nothing else, so a coverage file a test drops is
never read. A run of the whole suite also keeps the data files of the processes it spawns, in a
folder shared with that run alone. The report is computed here, in our own process, through
coverage.py's API with our own configuration (never by an interpreter started over the
checkout, whose ``coverage.py`` could be the pull request's), against the pristine copy's
sources; paths are remapped so code imported from the user's checkout (an editable install) and
from the sandbox copy count as the same file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.actions.errors import ExternalServiceError, UsageError
from cicd_agent.runners.sessions import Evidence
from cicd_agent.runners.sessions import SessionSandbox as Sandbox
from cicd_agent.sandbox.run import RunResult
from cicd_agent.sandbox.workspace import Workspace, remove_tree

MAX_DATA_BYTES = 256 << 20
"""The most SQL one run's serialised coverage data may unpack to, and twice that the most
database it may build."""
MAX_DATA_FILES = 1_000
"""The most entries a run's coverage data folder may hold: each Python process it starts leaves
a data file there, which the host opens and merges one by one."""
MAX_DATA_ROWS = 1_000_000
"""The most rows (measured files, contexts, branches) the data of one run may hold, all its
data files together: the host merges them row by row and holds every branch of a target in
memory as it reports, so a file small in bytes can still take minutes and gigabytes."""
MAX_VALUE_BYTES = 16 << 20
"""The longest text or blob in it (a numbits blob of a 100,000-line file is 12.5 KB)."""
STATEMENT_STEPS = 1_000_000
"""SQLite virtual-machine steps one statement of it may take: ``dumps()`` writes one short
``INSERT`` a row (tens of steps), an endless recursive query takes them all at once."""

Arc = tuple[int, int]
"""A branch from one line to another, as coverage.py numbers it (negative: leaving a function)."""


class TooMuchCoverageData(UsageError):
    """A run left more coverage data than the host reads: a candidate that does is rejected,
    a suite that does cannot be measured. The fix is the same whichever cap it passed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, hint="Start fewer Python processes in one run of the tests.")


@dataclass(frozen=True)
class FileCoverage:
    """One target file: its executed and missing lines and branches."""

    path: str
    executed_lines: frozenset[int]
    missing_lines: frozenset[int]
    executed_arcs: frozenset[Arc]
    missing_arcs: frozenset[Arc]

    @property
    def statements(self) -> int:
        return len(self.executed_lines) + len(self.missing_lines)

    @property
    def branches(self) -> int:
        return len(self.executed_arcs) + len(self.missing_arcs)


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of every target file by one run."""

    files: Mapping[str, FileCoverage]

    def executed_lines(self, path: str) -> frozenset[int]:
        found = self.files.get(path)
        return found.executed_lines if found else frozenset()

    def executed_arcs(self, path: str) -> frozenset[Arc]:
        found = self.files.get(path)
        return found.executed_arcs if found else frozenset()


def percent(report: CoverageReport) -> float | None:
    """Coverage percent as coverage.py computes it with branches: (lines + arcs run) / (all).

    None when the files have no statements.
    """
    total = sum(found.statements + found.branches for found in report.files.values())
    covered = sum(
        len(found.executed_lines) + len(found.executed_arcs) for found in report.files.values()
    )
    return round(100.0 * covered / total, 2) if total else None


def within(
    after: CoverageReport, before: CoverageReport, gained: Mapping[str, tuple[set[int], set[Arc]]]
) -> CoverageReport:
    """``after`` as far as it is believed: per file of ``before``, its statements and branches,
    run only where ``before`` ran them or a test the gate accepted did (``gained``, as the gate
    measured it in that test's own process). Every process of the suite's run may write into
    its data folder, an accepted test's too, and a data file it forges would claim any line ran;
    a line the tests run only together is not counted, which understates and never lies."""
    files: dict[str, FileCoverage] = {}
    for path, was in before.files.items():
        lines, arcs = gained.get(path, (set(), set()))
        statements = was.executed_lines | was.missing_lines
        branches = was.executed_arcs | was.missing_arcs
        ran = after.executed_lines(path) & (was.executed_lines | lines) & statements
        taken = after.executed_arcs(path) & (was.executed_arcs | arcs) & branches
        files[path] = FileCoverage(path, ran, statements - ran, taken, branches - taken)
    return CoverageReport(files)


def never_imported(report: CoverageReport, paths: Sequence[str]) -> list[str]:
    """Target files with statements of which not one ran: the suite never imported them.

    Importing a module runs its ``import`` and ``def`` lines, so zero executed lines means the
    tests used another copy of the code (an installed release instead of the checkout).
    """
    return [
        path
        for path in paths
        if (found := report.files.get(path)) is not None
        and found.statements > 0
        and not found.executed_lines
    ]


def _arcs(pairs: Sequence[Sequence[int]]) -> frozenset[Arc]:
    return frozenset((int(pair[0]), int(pair[1])) for pair in pairs)


class CoverageMeter:
    """Runs commands under coverage in a sandbox and reads what they executed in the targets."""

    def __init__(self, sandbox: Sandbox, targets: Sequence[str]) -> None:
        self.sandbox = sandbox
        self.targets = list(targets)
        self._reports = sandbox.root / "reports"

    def _config(self, space: Workspace, data_file: Path) -> Path:
        """A coverage configuration for one run in ``space`` (read-only inside the sandbox).

        Target names are the pull request's: coverage expands ``$NAME`` and ``${NAME?}`` in its
        settings, so ``$`` is written ``$$``; names with a newline never get here (targets
        leaves them out, see :mod:`cicd_agent.analysis.file_names`)."""
        roots = [self.sandbox.pristine, space.repo, self.sandbox.checkout]
        include = [
            str(root / target).replace("$", "$$") for root in roots[1:] for target in self.targets
        ]
        lines = [
            "[run]",
            "branch = True",
            "parallel = True",
            f"data_file = {data_file}",
            "include =",
            *(f"    {pattern}" for pattern in include),
            "",
            "[paths]",
            "source =",
            *(f"    {root}/" for root in roots),
            "",
            "[report]",
            "ignore_errors = True",
            "",
        ]
        config = space.scratch("coverage", ".rc")
        config.write_text("\n".join(lines), encoding="utf-8")
        return config

    def measure(
        self, command: Sequence[str], space: Workspace, *, timeout: float, suite: bool = False
    ) -> tuple[RunResult, Evidence, CoverageReport]:
        """Run ``command`` in ``space`` with coverage on; its result, evidence and coverage.

        A candidate's run (``suite`` false) counts only the pytest process's own data, from the
        evidence pipe; a suite's run also counts the data files of the processes it spawned.
        Either raises :class:`TooMuchCoverageData` when the run left more data files than a
        suite's run may (:func:`data_files`).
        """
        shared: list[Path] = []
        if suite:
            data_dir = space.scratch("coverage", ".data")
            data_dir.mkdir()
            shared.append(data_dir)
            data_file = data_dir / ".coverage"
        else:  # written by the candidate's processes, and never read
            data_file = space.live / ".coverage-data" / ".coverage"
            data_file.parent.mkdir(exist_ok=True)
        config = self._config(space, data_file)
        result, evidence = self.sandbox.session(
            command,
            space,
            timeout=timeout,
            extra_env={"COVERAGE_PROCESS_START": str(config)},
            shared=shared,
        )
        if not suite:  # never read, but what it leaves would be read in a suite's run
            data_files(data_file.parent)
        blobs = []
        if evidence.outcomes is not None and evidence.outcomes.coverage and not evidence.problem:
            blobs.append(evidence.outcomes.coverage)
        return result, evidence, self._report(config, blobs, shared)

    def _report(
        self, config: Path, blobs: Sequence[bytes], folders: Sequence[Path]
    ) -> CoverageReport:
        """Combine and report in this process, in a folder no run can write."""
        import coverage  # only a measured run needs it, not the steps that import this module

        left = [folder / name for folder in folders for name in data_files(folder)]
        self._reports.mkdir(exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=self._reports))
        try:
            for number, blob in enumerate(blobs):
                with contextlib.suppress(ValueError, sqlite3.Error):  # a forged one counts nothing
                    _load_data(blob, work / f".coverage.evidence{number}")
            for number, found in enumerate(left):  # our names: none takes the evidence's place
                if found.is_file() and not found.is_symlink():
                    shutil.copyfile(found, work / f".coverage.left{number}")
            rows = 0
            for copied in work.glob(".coverage.*"):
                counted = _mergeable(copied)
                if counted is None:  # a view of a run's, or its statements, count nothing
                    copied.unlink()
                    continue
                rows += counted
                if rows > MAX_DATA_ROWS:
                    raise TooMuchCoverageData(
                        f"the run left more than {MAX_DATA_ROWS:,} rows of coverage data"
                    )
            meter = coverage.Coverage(data_file=str(work / ".coverage"), config_file=str(config))
            if any(work.glob(".coverage.*")):
                meter.combine([str(work)], keep=True)
            else:
                empty = coverage.CoverageData(basename=str(work / ".coverage"))
                empty.add_arcs({})
                empty.write()
                meter.load()
            out = work / "report.json"
            morfs = [str(self.sandbox.pristine / target) for target in self.targets]
            meter.json_report(morfs, outfile=str(out), ignore_errors=True)
            document = json.loads(out.read_text(encoding="utf-8"))
        except (coverage.CoverageException, OSError, ValueError) as exc:
            raise ExternalServiceError(
                f"coverage could not read the run's data: {str(exc)[:300]}",
                hint="The coverage data of the test run could not be read.",
            ) from exc
        finally:
            remove_tree(work)
        return self._parsed(document)

    def _parsed(self, document: Mapping[str, object]) -> CoverageReport:
        """coverage.py's JSON report (format 3), its files named as the targets are: relative
        to the pristine copy (any other file is left out)."""
        found = document.get("files")
        if not isinstance(found, dict):
            raise ValueError("the coverage JSON report has no files object")
        here = Path(os.getcwd())
        files: dict[str, FileCoverage] = {}
        for name, entry in found.items():
            path = Path(name) if Path(name).is_absolute() else here / name
            try:
                relative = Path(os.path.normpath(path)).relative_to(self.sandbox.pristine)
            except ValueError:
                continue
            files[relative.as_posix()] = FileCoverage(
                path=relative.as_posix(),
                executed_lines=frozenset(entry.get("executed_lines", [])),
                missing_lines=frozenset(entry.get("missing_lines", [])),
                executed_arcs=_arcs(entry.get("executed_branches", [])),
                missing_arcs=_arcs(entry.get("missing_branches", [])),
            )
        return CoverageReport(files)


def data_files(folder: Path) -> list[str]:
    """The names of the data files a run left in its coverage data ``folder`` (one of ours it
    may write), counted before any is read: :class:`TooMuchCoverageData` past
    :data:`MAX_DATA_FILES` entries or :data:`MAX_DATA_BYTES` of them. A folder the run
    removed or put a link in place of holds none."""
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return []
    names: list[str] = []
    size = 0
    try:
        with os.scandir(handle) as entries:
            for count, entry in enumerate(entries, start=1):
                if count > MAX_DATA_FILES:
                    raise TooMuchCoverageData(
                        f"the run left more than {MAX_DATA_FILES:,} files in its coverage data "
                        "folder (one per Python process it starts)"
                    )
                if not entry.name.startswith(".coverage.") or not entry.is_file(
                    follow_symlinks=False
                ):
                    continue
                size += entry.stat(follow_symlinks=False).st_size
                if size > MAX_DATA_BYTES:
                    raise TooMuchCoverageData(
                        f"the run left more than {MAX_DATA_BYTES >> 20} MiB of coverage data"
                    )
                names.append(entry.name)
    finally:
        os.close(handle)
    return names


def _load_data(blob: bytes, path: Path) -> None:
    """Write a run's coverage data as a data file at ``path``. The data is
    ``CoverageData.dumps()`` from inside the sandbox: a zlib-packed SQL script that
    ``CoverageData.loads`` would run here as it stands, and a test can write it in place of ours
    (``ATTACH DATABASE '/any/path'`` or ``VACUUM INTO`` then write any file on this side). It
    runs in a connection that may only build its own database (no other database, no pragma),
    of bounded size, one bounded statement at a time."""
    if blob[:1] != b"z":
        raise ValueError("the coverage data is not in coverage.py's serialised form")
    unpack = zlib.decompressobj()
    script = unpack.decompress(blob[1:], MAX_DATA_BYTES)
    if unpack.unconsumed_tail:
        raise ValueError(f"the coverage data unpacks to more than {MAX_DATA_BYTES >> 20} MiB")
    database = sqlite3.connect(path)
    try:
        database.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        pages = database.execute("PRAGMA page_size").fetchone()[0]
        database.execute(f"PRAGMA max_page_count = {2 * MAX_DATA_BYTES // pages}")
        database.set_progress_handler(_stop, STATEMENT_STEPS)  # called only past the steps
        database.set_authorizer(_own_tables_only)
        database.executescript(script.decode("utf-8"))
    except BaseException:
        database.close()
        path.unlink(missing_ok=True)  # half a database is not read either
        raise
    database.close()


def _mergeable(path: Path) -> int | None:
    """The rows the host would merge of the data file at ``path`` (measured files, contexts,
    branches), or None unless it holds tables and their indexes only, of branch data measured
    by coverage.py's own tracer. A run writes these files (a suite's processes in
    their data folder, a test in its serialised SQL), and coverage.py reads them here with its
    own queries: a view, a virtual table or a generated column would run the run's SQL in this
    process (a view over an endless recursive query never returns); statement data (whatever
    the file's ``has_arcs`` says: coverage.py merges by the rows), a file another tracer
    measured, or one missing a table or column or holding a value of another type than
    coverage.py merges (:data:`_MERGED`), coverage.py refuses to merge or to report with the
    rest (the whole measurement failed, or lost its counts, on one such file). A file that is
    no database counts nothing either."""
    try:
        database = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        for kind, name, sql in database.execute("SELECT type, name, sql FROM sqlite_master"):
            if kind == "index":
                continue
            if kind != "table" or not str(sql).upper().startswith("CREATE TABLE"):
                return None
            hidden = database.execute("SELECT hidden FROM pragma_table_xinfo(?)", (name,))
            if any(flag for (flag,) in hidden):  # a generated column is an expression
                return None
        arcs = database.execute("SELECT value FROM meta WHERE key = 'has_arcs'").fetchall()
        # A table or column missing is an error here, as in the merge.
        unmergeable = any(database.execute(query).fetchall() for query in _MERGED)
        [(rows,)] = database.execute(
            "SELECT (SELECT count(*) FROM file) + (SELECT count(*) FROM context) + "
            "(SELECT count(*) FROM arc)"
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        database.close()
    return int(rows) if arcs == [("1",)] and not unmergeable else None


_MERGED = (
    "SELECT 1 FROM file WHERE typeof(id) != 'integer' OR typeof(path) != 'text' LIMIT 1",
    "SELECT 1 FROM context WHERE typeof(id) != 'integer' OR typeof(context) != 'text' LIMIT 1",
    "SELECT 1 FROM arc WHERE typeof(file_id) || typeof(context_id) || typeof(fromno) || "
    "typeof(tono) != 'integerintegerintegerinteger' LIMIT 1",
    "SELECT 1 FROM line_bits LIMIT 1",
    "SELECT 1 FROM tracer WHERE tracer != '' OR typeof(file_id) != 'integer' LIMIT 1",
)
"""What coverage.py reads of another data file as it merges it into ours, each query finding
a row it cannot merge: a path or context that is no text, a line that is no number (a report
skips a file it cannot analyse, whose counts were lost), statement data, another tracer."""


def _stop() -> int:
    """SQLite's progress handler: a non-zero answer interrupts the statement."""
    return 1


def _own_tables_only(
    action: int, first: str | None, _: str | None, db: str | None, __: object
) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH) or db not in (None, "main"):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and first != "foreign_keys":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK
