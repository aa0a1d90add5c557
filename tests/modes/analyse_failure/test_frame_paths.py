"""Every path analyse-failure names is a file of the repository a check run can place: a path
printed relative to a step's ``working-directory`` (ruff run in ``packages/lib`` prints
``src/calc.py``) or absolute outside the runner's workspace (a container's, a self-hosted
runner's ``/srv/ci/…/src/calc.py``) is placed as the checkout's file it names; a Kotlin frame's
file, which need not sit in its package's folders, as the one source of its name. What
nothing places is shown as the frame. The logs are the real tools' output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import ResponsibleFile
from cicd_agent.modes.analyse_failure.logs import checkout_places
from cicd_agent.modes.analyse_failure.logs.checkout_places import jvm_path
from tests.modes.analyse_failure.job_logs import step_analysis

CALC = "import os\n\n\ndef mean(values):\n    return sum(values) / len(values)\n"
RUN = "import sys\nsys.path.insert(0, 'src')\nfrom calc import mean\nmean([])\n"


def _files(output: bytes, dest: Path, **given: object) -> dict[str, ResponsibleFile]:
    analysis = step_analysis(dest, "make test", output, **given)
    return {f.path: f for f in analysis.responsible_files}


def _project(root: Path) -> Path:
    (root / "packages" / "lib" / "src").mkdir(parents=True)
    (root / "packages" / "lib" / "src" / "calc.py").write_text(CALC)
    (root / "packages" / "lib" / "run.py").write_text(RUN)
    return root


def test_an_absolute_path_outside_the_workspace_is_the_checkout_s_file(tmp_path: Path) -> None:
    """A real traceback run where the checkout is not ``/home/runner/work/…``: the frame's
    path ends with the checkout's file, which is what is named. Before: the absolute path.
    A folder that holds neither a path the log names nor the change's files is no checkout
    of the failed code: paths stay as printed. One that holds the change but not the file
    shows it as the frame."""
    root = _project(tmp_path / "srv" / "ci")
    lib = root / "packages" / "lib"
    done = subprocess.run([sys.executable, "run.py"], cwd=lib, capture_output=True, check=False)
    assert f'File "{lib}/src/calc.py", line 5'.encode() in done.stderr, done.stderr
    files = _files(done.stderr, tmp_path / "logs", checkout=root)
    assert files["packages/lib/src/calc.py"].lines == (5,) and not any(
        path.startswith("/") for path in files), files  # fmt: skip
    (tmp_path / "empty").mkdir()
    blind = _files(done.stderr, tmp_path / "blind", checkout=tmp_path / "empty")
    assert f"{lib}/src/calc.py" in blind and not any(f.frame for f in blind.values()), blind
    gone = _files(done.stderr, tmp_path / "gone", checkout=tmp_path / "no-such-checkout")
    assert f"{lib}/src/calc.py" in gone and not any(f.frame for f in gone.values()), gone
    other = _project(tmp_path / "other")  # a checkout of the change, not of the file named
    (other / "packages" / "lib" / "src" / "calc.py").unlink()
    (other / "setup.py").write_text("")
    elsewhere = _files(
        done.stderr, tmp_path / "elsewhere", checkout=other, changed_files=["setup.py"]
    )
    assert elsewhere[f"{lib}/src/calc.py"].frame, elsewhere


def test_a_path_relative_to_the_working_directory_is_the_checkout_s_file(tmp_path: Path) -> None:
    """ruff run in ``packages/lib`` names ``src/calc.py``: the one checkout file ending so.
    Two that end so (a second package's ``src/calc.py``) place neither: the frame is shown."""
    root = _project(tmp_path / "repo")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--no-cache", "--isolated",
         "--output-format", "concise", "--select", "F401", "src"],
        cwd=root / "packages" / "lib", capture_output=True, check=False,
    )  # fmt: skip
    assert done.stdout.startswith(b"src/calc.py:1:8: F401"), done.stdout
    files = _files(done.stdout, tmp_path / "logs", checkout=root)
    assert files["packages/lib/src/calc.py"].lines == (1,), files
    (root / "packages" / "app" / "src").mkdir(parents=True)
    (root / "packages" / "app" / "src" / "calc.py").write_text(CALC)
    twice = _files(
        done.stdout, tmp_path / "twice", checkout=root, changed_files=["packages/lib/run.py"]
    )
    assert twice["src/calc.py"].frame, twice


def test_a_kotlin_frame_is_placed_by_its_file_name(tmp_path: Path) -> None:
    """Kotlin needs no package folders: ``com.example.CalcTest`` in ``src/test/kotlin/CalcTest.kt``.
    The one source of that name places it; two of that name place nothing; a Java frame keeps
    to its package's folders."""
    sources = {"CalcTest": ["src/test/kotlin/CalcTest.kt"], "Calc": ["src/main/java/Calc.java"]}
    assert jvm_path("com.example.CalcTest.adds", "CalcTest.kt", [], lambda: sources) \
        == "src/test/kotlin/CalcTest.kt"  # fmt: skip
    assert jvm_path("com.example.Calc.add", "Calc.java", [], lambda: sources) is None
    twice = {"CalcTest": ["a/src/test/kotlin/CalcTest.kt", "b/src/test/kotlin/CalcTest.kt"]}
    assert jvm_path("com.example.CalcTest.adds", "CalcTest.kt", [], lambda: twice) is None


def test_attack_a_log_of_many_paths_looks_up_a_bounded_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test can print a traceback of thousands of distinct deep paths: each costs the checkout
    a lookup per tail, so only the first ``MAX_PLACED`` distinct paths are looked up (lowered
    here), the rest shown as frames, and one path named twice is looked up once."""
    root = _project(tmp_path / "repo")
    lines = ["Traceback (most recent call last):"]
    lines += [
        f'  File "/srv/{i}/a/b/c/d/e/f/packages/lib/src/calc.py", line 5, in mean'
        for i in range(40)
    ]
    lines += ['  File "/srv/0/a/b/c/d/e/f/packages/lib/src/calc.py", line 5, in mean'] * 20
    lines += ["ZeroDivisionError: division by zero"]
    calls: list[str] = []
    real = checkout_places.is_file
    monkeypatch.setattr(
        checkout_places, "is_file", lambda at, path: calls.append(str(path)) or real(at, path)
    )
    monkeypatch.setattr(checkout_places, "MAX_PLACED", 5)
    named = _files("\n".join(lines).encode() + b"\n", tmp_path / "logs", checkout=root)
    assert len(calls) <= 5 * checkout_places.MAX_SUFFIXES, len(calls)
    assert named["packages/lib/src/calc.py"].lines == (5,)
    assert sum(f.frame for f in named.values()) >= 10, named


def test_a_checkout_in_a_folder_of_the_workspace_names_the_checkout_s_file(tmp_path: Path) -> None:
    """``actions/checkout`` with ``path: code``: the real traceback's folder read as the
    runner's ``/home/runner/work/app/app/code/…``, which less the workspace is
    ``code/packages/lib/src/calc.py``, a path the checkout does not hold: its longest tail the
    checkout holds names the file. Before: shown as the frame."""
    root = _project(tmp_path / "repo")
    lib = root / "packages" / "lib"
    done = subprocess.run([sys.executable, "run.py"], cwd=lib, capture_output=True, check=False)
    log = done.stderr.replace(str(root).encode(), b"/home/runner/work/app/app/code")
    files = _files(log, tmp_path / "logs", checkout=root)
    assert files["packages/lib/src/calc.py"].lines == (5,), files
    assert not files["packages/lib/src/calc.py"].frame, files


def test_a_file_at_the_root_of_the_checkout_given_is_named_by_its_absolute_path(
    tmp_path: Path,
) -> None:
    """A log made on this machine (``go test`` or a script run in the project, then
    ``cicd-agent analyse-failure --repo ../project --logs run.log``): its frames name the
    checkout's files by their absolute paths, some at the checkout's root, where no tail of a
    folder and a file is the checkout's. The path under the checkout's own folder names the
    file, given as a relative ``--repo`` too. Before: ``/…/project/calc.py``, "a stack frame:
    no file of the checkout found"."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "calc.py").write_text(CALC)
    (root / "run.py").write_text("from calc import mean\nmean([])\n")
    done = subprocess.run([sys.executable, "run.py"], cwd=root, capture_output=True, check=False)
    assert f'File "{root}/calc.py", line 5'.encode() in done.stderr, done.stderr
    files = _files(done.stderr, tmp_path / "logs", checkout=Path(os.path.relpath(root)))
    assert files["calc.py"].lines == (5,) and not files["calc.py"].frame, files
    assert not any(path.startswith("/") for path in files), files
