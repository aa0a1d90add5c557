"""analyse-failure reads an absolute path inside the ``--repo`` checkout as its file; a hostile
pull request writes the log (its tests print what it likes) and the checkout (links, FIFOs). No
path the log names makes a read of the host follow it: a link in the checkout to a host file or
folder, dots, ``/proc``, a FIFO, the checkout's folder spelt with ``//``, ``/./``, a trailing
slash or another case. The host file holds a marker that must appear nowhere in the analysis,
and no log stalls it."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from tests.modes.analyse_failure.job_logs import job_log

LOG = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user11" / "js-eslint-run.txt"
CHANGED = {"index.js": [206, 207, 208]}
MARKER = "HOST-ONLY-MARKER-7f3a"
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "{path}", line 3, in <module>\n'
    "    boom()\n"
    "RuntimeError: failed\n"
)


def _analyse(checkout: Path, named: str, extra: str = "") -> LogAnalysis:
    """The user's eslint log naming ``named`` as its file, with ``extra`` lines after."""
    text = LOG.read_text(encoding="utf-8").replace("{checkout}/index.js", named)
    text = text.replace("✖ 2 problems", extra + "✖ 2 problems")
    done: list[LogAnalysis] = []

    def run() -> None:
        done.append(
            analyse_scans(
                scan_jobs([job_log("lint", text.encode())]),
                changed_files=list(CHANGED),
                changed_lines=CHANGED,
                checkout=checkout,
            )
        )

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    assert done, f"the analysis of {named[:80]!r} did not finish in 30 s"
    return done[0]


@pytest.fixture
def host(tmp_path: Path) -> Path:
    """A folder outside the checkout, as the host's files are."""
    folder = tmp_path / "host"
    folder.mkdir()
    secret = "".join(f"const line{i} = '{MARKER}'\n" for i in range(300))
    (folder / "index.js").write_text(secret)
    (folder / "secret.py").write_text(secret)
    return folder


@pytest.fixture
def checkout(tmp_path: Path, host: Path) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "index.js").write_text("'use strict'\n" * 210)
    (folder / "hostlink").symlink_to(host)
    (folder / "secret.py").symlink_to(host / "secret.py")
    (folder / "proc").symlink_to("/proc")
    os.mkfifo(folder / "pipe.js")
    return folder


@pytest.mark.parametrize(
    "named",
    [
        "{root}/hostlink/index.js",
        "{root}/hostlink/secret.py",
        "{root}/secret.py",
        "{root}/hostlink/../../host/index.js",
        "{root}/../host/index.js",
        "{root}//hostlink/index.js",
        "{root}/./hostlink/index.js",
        "/{root}/hostlink/index.js",
        "{root}/hostlink/./index.js/",
        "{upper}/hostlink/index.js",
        "{root}/proc/self/environ",
        "{root}/pipe.js",
    ],
)
def test_attack_no_log_path_makes_a_read_follow_it(checkout: Path, named: str) -> None:
    path = named.format(root=checkout.as_posix(), upper=checkout.as_posix().upper())
    analysis = _analyse(checkout, path, TRACEBACK.format(path=path))
    said = repr(analysis)
    assert MARKER not in said, said
    assert "HOME=" not in said and "PATH=" not in said


def test_attack_the_checkout_given_as_a_link_to_the_host_reads_nothing_past_it(
    checkout: Path, host: Path, tmp_path: Path
) -> None:
    """--repo names the checkout through a link; the log names the host through the checkout's
    link, resolved: the comparison resolves the checkout, never the log's path."""
    given = tmp_path / "given"
    given.symlink_to(checkout)
    for path in (f"{given}/hostlink/index.js", f"{host.resolve()}/index.js"):
        said = repr(_analyse(given, path, TRACEBACK.format(path=path)))
        assert MARKER not in said, (path, said)


def test_attack_no_log_stalls_the_path_reading(checkout: Path) -> None:
    """Long paths built of dots and slashes, each under the checkout, on every line."""
    root = checkout.as_posix()
    shapes = [
        root + "/./" * 20_000 + "index.js",
        root + "/a/.." * 20_000 + "/index.js",
        root + "/" * 60_000 + "index.js",
        "/" + "x/" * 30_000 + "index.js",
    ]
    extra = "".join(TRACEBACK.format(path=p) for p in shapes * 20)
    start = time.monotonic()
    _analyse(checkout, shapes[0], extra)
    assert time.monotonic() - start < 20


GO_LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "atk11"
VERDICT = "--- FAIL: TestAddFailNow (0.00s)"


def _go_root_cause(checkout: Path, named: str) -> str:
    """The root cause of a go test that printed only a ``t.Log`` line at ``named``: the
    verdict where the test's source was read (it says the line is a log call), else that line."""
    text = (GO_LOGS / "go-failnow-after-log.txt").read_text().replace("calc_test.go", named)
    return analyse_scans(scan_jobs([job_log("test", text.encode())]), checkout=checkout).root_cause


@pytest.mark.parametrize(
    ("link", "named"),
    [
        ("calc_test.go", "calc_test.go"),
        ("calc_test.go", "{root}/calc_test.go"),
        ("hostlink", "hostlink/calc_test.go"),
        ("hostlink", "{root}/hostlink/calc_test.go"),
        ("hostlink", "{root}/./hostlink//calc_test.go"),
    ],
)
def test_attack_a_go_tests_source_behind_a_link_is_not_read(
    tmp_path: Path, link: str, named: str
) -> None:
    """The control first: the test's own file in the checkout is read, and the root cause is
    the verdict. Then the same file on the host, reached by a link in the checkout and named
    through it: it is never read, so the root cause stays the log line."""
    source = (GO_LOGS / "go-failnow-calc_test.go.txt").read_text()
    own = tmp_path / "own"
    own.mkdir()
    (own / "calc_test.go").write_text(source)
    assert _go_root_cause(own, "calc_test.go") == VERDICT
    host = tmp_path / "host"
    host.mkdir()
    (host / "calc_test.go").write_text(source)
    checkout = tmp_path / "app"
    checkout.mkdir()
    (checkout / link).symlink_to(host / link if link.endswith(".go") else host)
    said = _go_root_cause(checkout, named.format(root=checkout.as_posix()))
    assert said != VERDICT and "adding 1 and 1" in said, said
