"""libtest's plain report as a ``cargo test`` run writes it on the evidence pipe: each test's
outcome, believed only where each binary's block agrees with itself, with the exit status,
with the seam's in-run check and with libtest's own log, and which failed tests failed on their
own check."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import select
import threading
from collections import Counter
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from types import TracebackType

from cicd_agent.runners.base import COUNT, PASSED

NO_FILE = "cargo test"
"""What names the file of a test whose target is not known (a run of every target)."""
LIBTEST = ("--format=pretty", "--show-output")
"""libtest's options in every run: its plain report, the passing tests listed at its end."""
_LOGFILE_WARNING = "warning: `--logfile` is deprecated"
"""What libtest (Rust 1.95) writes on standard error, with no line end, in every binary
given ``--logfile``: the seam's own option, so never the project's words."""
Reading = tuple[str, dict[str, str]]
"""One run's word: its binaries' report as written, and each test's outcome read from it."""
BLOCK_START = re.compile(rf"^running {COUNT} tests?(?: \(shuffle seed: \d+\))?$")
RESULT = re.compile(
    r"^test (.+?)(?: - (?:should panic|compile fail|compile|allow fail))?"
    r" \.\.\. (ok|FAILED|ignored(?:, .*)?)$"
)
"""A test's end in libtest's report, its name as its own log and ``failures:`` give it: the
report puts the test's mode after it (``tests::t - should panic``, a ``no_run`` doctest's
``src/lib.rs - f (line 9) - compile``, ``… - compile fail``; ``allow fail`` before Rust
1.57), the log never does, and a retry selects the name without it."""
BLOCK_END = re.compile(
    rf"^test result: (ok|FAILED)\. {COUNT} passed; {COUNT} failed; {COUNT} ignored;"
)
_OUTCOME = {"ok": "passed", "FAILED": "failed"}
_CLAIMS = ("failed", "skipped", "passed")
_OWN_OUTPUT = re.compile(r"^---- (.+) stdout ----$")
_PANICKED = re.compile(rf"^thread '.*' (?:\(\d+\) )?panicked at (?:'(.*)', )?(\S+?):{COUNT}:\d+:?$")
_RUNTIME_PANICS = (
    "attempt to ",
    "index out of bounds",
    "range start index",
    "range end index",
    "slice index",
    "byte index",
    "capacity overflow",
)
"""How the language's own panics begin (overflow, division by zero, a bad index or slice):
raised in a test's own file they are its arithmetic crashing, not a check of its."""
"""Outcomes from the least a test's name claims: two binaries (the library and ``src/main.rs``,
two integration tests) may each have a ``tests::it_works``."""
_DOCTEST = re.compile(r"^\S.* - (?:.* )?\(line \d+\)(?: - .+)?$")
"""rustdoc's name for a doctest (``src/lib.rs - add (line 5)``, ``src/lib.rs - (line 86)``,
``… (line 9) - compile fail``); a ``#[test]``'s name has no space, nor a line number."""


def without_log_warning(output: str) -> str:
    """A run's ``output`` without libtest's warning about the ``--logfile`` the seam gave it:
    repeated once per binary and glued to cargo's next line, it buried a run's own last words
    (why it stopped) under the seam's."""
    return output.replace(f"{_LOGFILE_WARNING}\n", "").replace(_LOGFILE_WARNING, "")


def read_checks(stream: str, outcomes: Mapping[str, str]) -> dict[str, str]:
    """Each failed test of ``outcomes`` that its own check failed: the last panic libtest's
    ``failures:`` section shows for it was raised in the test's own file (``assert!``,
    ``panic!``, an ``unwrap`` of a result, which panics at its caller) and is none of the
    language's runtime panics (overflow, an index out of bounds): a panic in the code under test
    is a crash. A test of a run of every target is named by no file (:data:`NO_FILE`): a panic
    in an integration test's folder (``tests/``) is its own, one in the crate's code is not."""
    panics: dict[str, tuple[str, str, str]] = {}
    test, section, waiting = "", "", ""
    for raw in stream.splitlines():
        line = raw.rstrip()
        if line in ("successes:", "failures:") or BLOCK_START.match(line):
            section, test = line, ""
        elif (heading := _OWN_OUTPUT.match(line)) is not None and section == "failures:":
            test = heading.group(1)
        elif waiting:
            panics[waiting], waiting = (*panics[waiting][:2], line.strip()), ""
        elif test and (panic := _PANICKED.match(line)) is not None:
            words, path, number = panic.groups()
            panics[test], waiting = (path, number, words or ""), "" if words else test
    found: dict[str, str] = {}
    for key, outcome in outcomes.items():
        file, _, name = key.partition(" › ")
        path, number, words = panics.get(name, ("", "", ""))
        if (
            outcome == "failed"
            and path
            and (
                path == file
                or file.endswith(f"/{path}")
                or (file in ("", NO_FILE) and PurePosixPath(path).parts[:1] == ("tests",))
            )
            and not words.startswith(_RUNTIME_PANICS)
        ):
            found[key] = f"{path if file in ('', NO_FILE) else file}:{number}: {words[:160]}"
    return found


def test_binaries(plan: bytes) -> int:
    """How many libtest binaries ``cargo test --no-run --message-format=json`` built: cargo's
    own word, given before any of them runs (a build script's or a compiler plugin's output
    reaches cargo, not this stream). A ``harness = false`` target counts too, and it never
    lists our in-run check: such a run is no result."""
    return len(test_executables(plan))


def test_executables(plan: bytes) -> set[str]:
    found: set[str] = set()
    for line in plan.decode("utf-8", "replace").splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if (
            isinstance(message, dict)
            and message.get("reason") == "compiler-artifact"
            and isinstance(profile := message.get("profile"), dict)
            and profile.get("test") is True
            and isinstance(message.get("executable"), str)
        ):
            found.add(message["executable"])
    return found


def read_blocks(
    stream: str, returncode: int, in_run_check: str = "", binaries: int = 0
) -> tuple[dict[str, str], str]:
    """Each test libtest's plain ``stream`` reports, with its outcome, or why the stream is no
    result. A block whose ``successes:`` list does not name ``in_run_check`` passing is no
    result, and a doctests' block keeps only its failures. Fewer blocks naming our test than
    ``binaries`` is no result: a binary that ended before libtest started (a static initialiser's
    ``exit(0)``) leaves no block and its failures with it."""
    ours = f"{in_run_check}::check"
    outcomes: dict[str, str] = {}
    expected: int | None = None
    block: dict[str, str] = {}
    listed: set[str] = set()  # the passing tests libtest names once every test has ended
    verdicts: list[str] = []
    section = ""  # "successes:"/"failures:": the tests' output and names follow, no result
    doctests = 0
    unheld: list[str] = []  # the doctests whose pass no in-run check witnessed
    checked = 0  # the blocks whose own test binary listed our test passing
    for raw in stream.splitlines():
        line = raw.rstrip()
        if (started := BLOCK_START.match(line)) is not None:
            if expected is not None:
                return {}, "libtest began a block before the last one ended (a forged report)"
            expected, block, listed, section = int(started.group(1)), {}, set(), ""
        elif line in ("successes:", "failures:") and expected is not None:
            section = line
        elif section == "successes:" and line.startswith("    "):
            listed.add(line[4:])
        elif (result := RESULT.match(line)) is not None and expected is not None and not section:
            name, said = result.groups()
            if name in block:
                return (
                    {},
                    f"libtest reported {name[:120]} ending twice (a test printed its own result)",
                )
            block[name] = _OUTCOME.get(said, "skipped")
        elif (summary := BLOCK_END.match(line)) is not None and expected is not None:
            verdict, passed, failed, ignored = summary.groups()
            counts = [list(block.values()).count(o) for o in ("passed", "failed", "skipped")]
            if len(block) != expected or counts != [int(passed), int(failed), int(ignored)]:
                return {}, (
                    f"libtest's block of {expected} test(s) shows {len(block)} result(s) "
                    "that its summary does not count (a test printed its own)"
                )
            if in_run_check and block:
                mine = [
                    name
                    for name in block
                    if name == ours
                    or (_DOCTEST.match(name) and f" - {in_run_check} (line " in name)
                ]
                if not any(block[name] == "passed" and name in listed for name in mine):
                    return {}, (
                        "libtest's binary ended before the seam's in-run check, listed only "
                        "after every test ended, passed: a pass printed by the code "
                        "under test"
                    )
                checked += block.get(ours) == "passed"
                if all(_DOCTEST.match(name) for name in block):  # each its own process:
                    kept = {name: outcome for name, outcome in block.items() if outcome == "failed"}
                    unheld += [name for name in block if name not in kept and name not in mine]
                    doctests, block = doctests + len(block) - len(kept) - 1, kept  # a fail holds
                # a root that is also another's module (``mod common;``) brings ours along
                block = {
                    name: outcome
                    for name, outcome in block.items()
                    if name != ours and not name.endswith(f"::{ours}")
                }
            for name, outcome in block.items():  # two binaries' same name: the least it claims
                outcomes[name] = min(outcome, outcomes.get(name, outcome), key=_CLAIMS.index)
            verdicts.append(verdict)
            expected = None
    if expected is not None or not verdicts:
        return {}, "libtest's report ended before its summary (not a cargo test run, or killed)"
    if checked < binaries:
        return {}, (
            f"{binaries - checked} of the {binaries} test binaries given the seam's "
            "in-run check reported no block naming it (one that ended before libtest "
            "started hides its tests): never believed"
        )
    if (returncode == 0) != all(verdict == "ok" for verdict in verdicts):
        return {}, f"cargo test's report and its exit status {returncode} disagree"
    if doctests and not outcomes:
        named = "; ".join(name[:120] for name in unheld[:3]) + ("; …" if len(unheld) > 3 else "")
        return {}, (
            f"cargo test ran only doctests ({doctests}: {named}), each its own process, "
            "which no in-run check of the seam's reaches (one that exits 0 passes; a "
            "compile_fail one passes by not compiling)"
        )
    return outcomes, ""


def shown_results(stream: str) -> Counter[tuple[str, str]]:
    """How often libtest's plain ``stream`` shows each test ending each way (``passed``,
    ``failed``, ``skipped``: ``test x ... ok`` in a block, never in its ``successes:`` or
    ``failures:`` section), every binary's and every doctest's, ours too, as libtest's log
    holds them."""
    shown: Counter[tuple[str, str]] = Counter()
    section = ""
    for raw in stream.splitlines():
        line = raw.rstrip()
        if BLOCK_START.match(line):
            section = ""
        elif line in ("successes:", "failures:"):
            section = line
        elif not section and (result := RESULT.match(line)) is not None:
            shown[_OUTCOME.get(result[2], "skipped"), result[1]] += 1
    return shown


class LibtestLog:
    """libtest's own log of each test's end, written through a descriptor of its own to the file
    ``--logfile`` names, so code under test that rewrites fd 1 does not reach it. Each binary
    truncates that file anew, so ours is a FIFO read by a thread of ours for the ``with`` block:
    every binary's lines are kept, in order, bounded."""

    LIMIT = 16 << 20

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"libtest-{secrets.token_hex(8)}.log"
        self.data = bytearray()
        self.cut = False
        self.problem = ""
        self._stop = threading.Event()
        self._fd = self._folder = -1
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> LibtestLog:
        # the folder is the run's to write (an earlier run may have made it a link): the FIFO
        # is made and opened through the folder itself, never through a link
        try:
            self._folder = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            os.mkfifo(self.path.name, 0o600, dir_fd=self._folder)
            # read and write: never blocks us, and a writer's open never waits for a reader
            self._fd = os.open(
                self.path.name, os.O_RDWR | os.O_NONBLOCK | os.O_NOFOLLOW, dir_fd=self._folder
            )
            os.fchmod(self._fd, 0o666)  # a run may be another user's: it only writes there
        except OSError as exc:
            self.problem = (
                f"libtest's own log could not be made in the run's folder ({exc.strerror})"
            )
        else:
            self._thread.start()
        return self

    def _read(self) -> None:
        waiting = select.poll()  # not select(): a descriptor past 1023 is no error
        waiting.register(self._fd, select.POLLIN)
        while True:
            stopping = self._stop.is_set()
            if waiting.poll(100):
                try:
                    chunk = os.read(self._fd, 1 << 16)
                except BlockingIOError:
                    continue
                self.cut = self.cut or len(self.data) + len(chunk) > self.LIMIT
                if not self.cut:
                    self.data += chunk
            elif stopping:  # the run has ended and nothing is left
                return

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._fd >= 0:
            self._thread.join()
            os.close(self._fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path.name, dir_fd=self._folder)
        if self._folder >= 0:
            os.close(self._folder)

    def belies(self, shown: Counter[tuple[str, str]]) -> str:
        """Why this log belies a report that shows each test ending each way that many times
        ("" when it does not): the two must tell the same story, test
        for test. A pass the log does not hold is one the report printed; a line the log holds
        beyond the report's (an ``ok`` beside libtest's own ``failed``) is one the code under
        test wrote there."""
        if self.problem:
            return f"{self.problem}: never believed"
        if self.cut:
            return f"libtest's own log ran past the {self.LIMIT} bytes kept: never believed"
        logged, stray = _logged(self.data.decode("utf-8", "replace"), {name for _, name in shown})
        if stray:
            return (
                f"libtest's own log holds a line naming no test of its report "
                f"({stray[:120]}): a log written by the code under test"
            )
        for outcome, name in sorted(
            shown.keys() | logged.keys(), key=lambda k: (k[0] != PASSED, k)
        ):
            if shown[outcome, name] != logged[outcome, name]:
                return (
                    f"libtest's report {_VERBS[outcome]} {name[:120]} {shown[outcome, name]} "
                    f"time(s), its own log {logged[outcome, name]}: a report rewritten, or "
                    "a log written, by the code under test"
                )
        return ""


_VERBS = {PASSED: "passes", "failed": "fails", "skipped": "skips"}
_LOGGED = re.compile(r"^(?:(failed|ignored)(?:: | \(time limit exceeded\) )|(ok|failed|ignored) )")
"""How each of libtest's log lines begins: ``ok NAME``, ``failed NAME``, ``ignored NAME``; or
with words before the name, ``failed: WHY NAME`` (a ``should_panic`` test whose panic lacked
the words it expects, the panic's message on the lines that follow), ``ignored: WHY NAME``
(an ``#[ignore]`` that gives its reason), ``failed (time limit exceeded) NAME``."""
_LOGGED_AS = {"ok": PASSED, "failed": "failed", "ignored": "skipped"}


def _logged(text: str, names: set[str]) -> tuple[Counter[tuple[str, str]], str]:
    """Each test libtest's log ``text`` holds ending each way, how often, and its first
    entry that names none of the report's tests ``names``, quoted ("" when every one does): the name
    is the whole rest of a plain line, the last words of one with words before it."""
    entries: list[tuple[str, str, bool]] = []  # outcome, the rest, whether it is plain
    for line in text.splitlines():
        if (start := _LOGGED.match(line)) is not None:
            entries.append((_LOGGED_AS[start[1] or start[2]], line[start.end() :], bool(start[2])))
        elif entries and not entries[-1][2]:  # the next line of a failure's message
            entries[-1] = (entries[-1][0], f"{entries[-1][1]}\n{line}", False)
        else:
            return Counter(), repr(line)
    logged: Counter[tuple[str, str]] = Counter()
    # the longest name ending the entry, sought by the names' lengths, not name by name: a
    # macro's thousands of should_panic failures made that quadratic
    lengths = sorted({len(n) for n in names if n}, reverse=True)
    for outcome, rest, plain in entries:
        name = (
            (rest if rest in names else "")
            if plain
            else next(
                (
                    rest[-size:]
                    for size in lengths
                    if len(rest) > size and rest[-size - 1] == " " and rest[-size:] in names
                ),
                "",
            )
        )
        if not name:
            return Counter(), repr(rest)
        logged[outcome, name] += 1
    return logged, ""
