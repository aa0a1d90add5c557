"""A changed signature breaks an unchanged caller: the compiler reports the caller, a line the
change did not touch, and often in words that name no function (rustc's E0061, "this method
takes 1 argument but 0 arguments were supplied"). The error is a high finding on the changed
line it depends on, the compiler's line named in its text, and the step fails. Real clippy,
go vet and mypy, in the sandbox; each toolchain's test is skipped where it is missing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings
from cicd_agent.modes.review.lint.lint_reports import UnreadableReport, read_report
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go


def _review(tmp_path: Path, files: dict[str, str], changed: dict[str, str],
            env: dict[str, str]) -> CliRun:  # fmt: skip
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", files)
    head = repo.commit("change the signature", changed)
    argv = ["review", "--provider", "none", "--json", "--fail-on", "high",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"HOME": str(tmp_path / "home"), **env})


def _high(done: CliRun) -> list[tuple[str, int, str]]:
    findings = (done.document or {})["findings"]
    return [(f["path"], f["line"], f["body"]) for f in findings if f["severity"] == "high"]


CARGO = '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n'
# try-lock's shape: a method gains a parameter; its one caller, further down, is unchanged
LOCK = """\
use core::sync::atomic::{AtomicBool, Ordering};

pub struct TryLock {
    locked: AtomicBool,
}

impl TryLock {
    pub fn try_lock(&self) -> Option<bool> {
        Some(!self.locked.swap(true, Ordering::Acquire))
    }
}

impl core::fmt::Debug for TryLock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let Some(free) = self.try_lock() {
            return write!(f, "TryLock {{ free: {free} }}");
        }
        write!(f, "TryLock {{ <locked> }}")
    }
}
"""
SPINS = LOCK.replace("try_lock(&self)", "try_lock(&self, _spins: u32)")


def _rust() -> dict[str, str]:
    """PATH with rustup's proxies and RUSTUP_HOME, or a skip where clippy is not installed."""
    cargo = shutil.which("cargo-clippy") or shutil.which(
        "cargo-clippy", path=str(Path.home() / ".cargo" / "bin")
    )
    rustup = Path(os.environ.get("RUSTUP_HOME") or Path.home() / ".rustup")
    if cargo is None or not rustup.is_dir():
        pytest.skip("rustup's cargo and clippy are not installed here")
    return {"PATH": os.pathsep.join([str(Path(cargo).parent), path_env()]),
            "RUSTUP_HOME": str(rustup)}  # fmt: skip


@needs_sandbox
def test_a_rust_parameter_added_is_high_on_the_signature_its_caller_breaks_on(
    tmp_path: Path,
) -> None:
    """A new user's try-lock change: E0061 on the unchanged caller (line 15) named no method,
    so review placed it nowhere, passed the change and said the base may not build either.
    rustc's own note ("method defined here") points at the changed signature (line 8)."""
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/lib.rs": LOCK},
                   {"src/lib.rs": SPINS}, _rust())  # fmt: skip

    assert done.document is not None, done.stderr
    [(path, line, body)] = _high(done)
    assert (path, line) == ("src/lib.rs", 8), done.document["findings"]
    assert "src/lib.rs:15" in body and "E0061" in body, body
    assert not any("base may not build" in note for note in done.document["notes"])
    assert done.code == 1


GO_MOD = "module example.com/m\n\ngo 1.19\n"
GO_FORMAT = 'package text\n\nfunc Format(lines []string) string {\n\treturn ""\n}\n'
GO_CALLER = 'package text\n\nfunc Show() string {\n\treturn Format(nil)\n}\n'


@needs_go
@needs_sandbox
def test_a_go_parameter_added_is_high_on_the_signature_its_caller_breaks_on(
    tmp_path: Path,
) -> None:
    """columnize's shape: ``Format`` gains a parameter; go vet reports the unchanged caller
    in another file ("not enough arguments in call to Format")."""
    go = shutil.which("go")
    assert go is not None
    files = {"go.mod": GO_MOD, "text/format.go": GO_FORMAT, "text/show.go": GO_CALLER}
    changed = {"text/format.go": GO_FORMAT.replace("lines []string", "lines []string, w int")}
    env = {"PATH": os.pathsep.join([str(Path(go).parent), path_env()])}
    done = _review(tmp_path, files, changed, env)

    assert done.document is not None, done.stderr
    [(path, line, body)] = _high(done)
    assert (path, line) == ("text/format.go", 3), done.document["findings"]
    assert "text/show.go:4" in body, body
    assert done.code == 1


PY_DOUBLE = "def double(n: int) -> int:\n    return n * 2\n"
PY_CALLER = "from app.maths import double\n\n\ndef four() -> int:\n    return double(2)\n"
PY_SAME = "\n\ndef eight() -> int:\n    return double(4)\n"


@needs_sandbox
@pytest.mark.parametrize("where", ["its own file", "another file"])
def test_a_python_parameter_added_is_high_on_the_signature_its_caller_breaks_on(
    tmp_path: Path, where: str
) -> None:
    """munch's shape: ``double`` gains a parameter; mypy reports the unchanged caller
    ('Missing positional argument "m" in call to "double"'). A caller in a file the change did
    not touch was not checked at all (mypy ran on the changed files alone): the change passed."""
    own = where == "its own file"
    files = {"pyproject.toml": '[project]\nname = "app"\n\n[tool.mypy]\n', "app/__init__.py": "",
             "app/maths.py": PY_DOUBLE + (PY_SAME if own else ""), "app/use.py": PY_CALLER}
    changed = {"app/maths.py": files["app/maths.py"].replace("n: int)", "n: int, m: int)")}
    done = _review(tmp_path, files, changed, {"PATH": path_env()})

    assert done.document is not None, done.stderr
    [(path, line, body)] = _high(done)
    assert (path, line) == ("app/maths.py", 1), done.document["findings"]
    assert ("app/maths.py:6" if own else "app/use.py:5") in body, body
    assert done.code == 1


# E0061 as cargo clippy --message-format=json printed it here (rustc 1.9x), trimmed
E0061 = (
    '{"reason":"compiler-message","message":{"message":"this method takes 1 argument but 0 '
    'arguments were supplied","code":{"code":"E0061"},"level":"error","spans":['
    '{"file_name":"src/lib.rs","line_start":201,"is_primary":false,'
    '"label":"argument #1 of type `u32` is missing"},'
    '{"file_name":"src/lib.rs","line_start":201,"is_primary":true,"label":null}],'
    '"children":[{"level":"note","message":"method defined here","spans":['
    '{"file_name":"src/lib.rs","line_start":92,"is_primary":false,"label":""},'
    '{"file_name":"/w/repo/src/lib.rs","line_start":92,"is_primary":true,"label":null}]},'
    '{"level":"help","message":"provide the argument","spans":['
    '{"file_name":"src/lib.rs","line_start":201,"is_primary":true,"label":null}]}]}}\n'
    '{"reason":"build-finished","success":false}'
)


def test_rustcs_notes_name_the_lines_an_error_depends_on() -> None:
    """The notes' spans (where the method is defined) come with the error, in the checkout's
    terms; a help's span (the call again) and a span outside the checkout do not."""
    report = E0061.replace('"children":[', '"children":[{"level":"note","message":"x",'
                           '"spans":[{"file_name":"/etc/passwd","line_start":1,'
                           '"is_primary":true,"label":null}]},')  # fmt: skip
    with pytest.raises(UnreadableReport) as stopped:
        read_report("clippy", report, "/w/repo")
    [hit] = stopped.value.hits
    assert (hit.path, hit.line, hit.compiles) == ("src/lib.rs", 201, True)
    assert hit.related == (("src/lib.rs", 92),)


def test_an_error_goes_to_the_changed_line_its_compiler_points_at_before_any_name() -> None:
    added = {"src/lib.rs": {92: "pub fn try_lock(&self, _spins: u32) -> bool {",
                            150: "fn method() {}"}}  # fmt: skip
    said = "this method takes 1 argument but 0 arguments were supplied"
    error = BuildError("src/lib.rs", 201, "E0061", said, (("src/lib.rs", 92),))
    [found], unexplained, _ = build_findings("clippy", [error], added, str)
    assert (found.path, found.line, unexplained) == ("src/lib.rs", 92, 0)
    # a pointer at an unchanged line places nothing by itself
    away = error._replace(related=(("src/lib.rs", 7),))
    assert build_findings("clippy", [away], added, str)[:2] == ([], 1)


def test_the_files_whose_imports_name_a_changed_module_are_its_callers(tmp_path: Path) -> None:
    """By the module's last part (a package's for its ``__init__.py``), on import lines only:
    a file that only says the word elsewhere, or is itself changed, is not one."""
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.modes.review.lint.callers import importers

    repo = GitRepoBuilder(tmp_path / "repo")
    head = repo.commit("start", {
        "app/__init__.py": "", "app/maths.py": PY_DOUBLE,
        "app/use.py": PY_CALLER, "tests/test_app.py": "import app\n",
        "app/words.py": "# maths is hard\nMATHS = 'maths'\n",
        "app/rel.py": "from .maths import double as d\n", "README.md": "import maths\n",
    })  # fmt: skip
    checkout = GitCheckout(repo.path)
    assert importers(checkout, head, ["app/maths.py"], 10) == ["app/rel.py", "app/use.py"]
    assert importers(checkout, head, ["app/__init__.py"], 10) == ["app/use.py", "tests/test_app.py"]
    assert importers(checkout, head, ["app/maths.py"], 1) == ["app/rel.py"]
    assert importers(checkout, head, ["README.md"], 10) == []


def test_attack_the_files_read_for_their_imports_are_bounded_in_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: thousands of Python files just under the per-file bound read whole, one after
    another, before a single caller was chosen (5,000 of 256 KB: 1.25 GB). Reading stops once
    the bound on all of them is met, and once as many callers as wanted are found."""
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.modes.review.lint import callers

    filler = "x = 1\n" * 200  # 1,200 bytes
    files = {f"app/m{n}.py": f"import maths\n{filler}" for n in range(6)}
    repo = GitRepoBuilder(tmp_path / "repo")
    head = repo.commit("start", {"app/maths.py": PY_DOUBLE, **files})
    checkout = GitCheckout(repo.path)
    read: list[int] = []
    original = GitCheckout.read_texts

    def counted(self: GitCheckout, rev: str, paths: Sequence[str], max_bytes: int | None = None
                ) -> dict[str, str]:  # fmt: skip
        read.append(len(paths))
        return original(self, rev, paths, max_bytes)

    monkeypatch.setattr(GitCheckout, "read_texts", counted)
    monkeypatch.setattr(callers, "CHUNK", 2)
    monkeypatch.setattr(callers, "MAX_TOTAL", 3_000)  # reached after the second chunk
    assert callers.importers(checkout, head, ["app/maths.py"], 10) == [
        "app/m0.py", "app/m1.py", "app/m2.py", "app/m3.py"]
    assert sum(read) == 4
    read.clear()
    monkeypatch.setattr(callers, "MAX_TOTAL", 10**9)
    assert callers.importers(checkout, head, ["app/maths.py"], 1) == ["app/m0.py"]
    assert sum(read) == 2  # one chunk held a caller: no more is read


MODULE = "class TLRUCache:\n    def ttl(self) -> int:\n        return 1\n"
IMPORTER = "from pkg.tlru import TLRUCache\n\n\ndef test_ttl() -> None:\n" + (
    "    assert TLRUCache().ttl() == 1\n"
)


@needs_sandbox
@pytest.mark.parametrize("mypy", ['mypy_path = "src"', 'files = ["src"]'])
@pytest.mark.parametrize("change", ["deleted", "renamed"])
def test_attack_a_module_deleted_or_renamed_away_still_has_its_importers_checked(
    tmp_path: Path, change: str, mypy: str
) -> None:
    """A change whose only edit deletes a module (or renames it) changes no Python file of the
    head, so mypy was never run and its callers' broken imports went unsaid: review stayed
    silent on a change that breaks every importer. The importers of the module's old name are
    checked as a changed module's are, and mypy's error, which the base does not have, blocks.
    Where only the files mypy is named find the package (``files``, no ``mypy_path``), the
    base's run names the deleted module too, or the import fails there as well and the error
    reads as the base's."""
    files = {"pyproject.toml": f'[project]\nname = "pkg"\n\n[tool.mypy]\n{mypy}\n',
             "src/pkg/__init__.py": '"""Caches."""\n', "src/pkg/tlru.py": MODULE,
             "tests/test_tlru.py": IMPORTER}  # fmt: skip
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", files)
    if change == "renamed":
        (repo.path / "src/pkg/tlru.py").rename(repo.path / "src/pkg/ttl_cache.py")
    else:
        (repo.path / "src/pkg/tlru.py").unlink()
    head = repo.commit(f"{change} tlru", {})
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path),
            "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"HOME": str(tmp_path / "home"), "PATH": path_env()})
    assert done.document is not None, done.stderr
    assert "mypy" in [tool["tool"] for tool in done.document["tools"]], done.document["tools"]
    high = [f for f in done.document["findings"] if f["severity"] == "high"]
    assert [f["rule"].split("/")[0] for f in high] == ["mypy"], done.document["findings"]
    assert "tests/test_tlru.py:1" in high[0]["body"] and done.code == 1, high[0]["body"]
