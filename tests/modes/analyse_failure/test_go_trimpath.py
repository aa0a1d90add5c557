"""A Go binary built with ``-trimpath`` prints its frames by import path, not by folder
(``example.com/shop/calc/calc.go:7``): the module path a ``go.mod`` declares stands for that
module's folder, at the root, in a folder of the checkout, or in a nested module whose path is
not its folder (``example.com/lint`` in ``tools/lint``). The standard library's frames
(``testing/testing.go``) are nobody's file to fix. Real ``go test -trimpath`` output of a
module written for this test (tests/fixtures/logs/go_trimpath.json; go 1.19).

``go.mod`` and the log are the pull request's: a module line or a frame that climbs out with
``..``, a ``go.mod`` that is a link out of the checkout, and two modules declaring one path
place nothing."""

from __future__ import annotations

import json
from pathlib import Path

from cicd_agent.modes.analyse_failure.log_facts import ResponsibleFile
from cicd_agent.runners.go.modules import GoModules
from tests.modes.analyse_failure.job_logs import step_analysis

CASE = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "logs" / "go_trimpath.json").read_text()
)


def _checkout(root: Path, folder: str = "") -> Path:
    for name, text in CASE["files"].items():
        path = root / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _files(
    output: str, dest: Path, checkout: Path | None, changed: dict[str, list[int]] | None = None
) -> dict[str, ResponsibleFile]:
    analysis = step_analysis(dest, CASE["command"], output.encode(), checkout=checkout,
                             changed_files=list(changed or {}), changed_lines=changed or {})  # fmt: skip
    return {f.path: f for f in analysis.responsible_files}


def test_a_trimmed_frame_is_the_root_module_s_file(tmp_path: Path) -> None:
    """Before: the frames were no file reference at all (the frame pattern took only absolute
    paths), so the panic named no file of the repository."""
    files = _files(CASE["root_output"], tmp_path / "logs", _checkout(tmp_path / "repo"))
    assert files["calc/calc.go"].lines == (7,) and not files["calc/calc.go"].frame, files
    assert files["calc/calc_test.go"].lines == (6,), files
    assert not [p for p in files if p.startswith(("testing/", "runtime/", "example.com/"))], files


def test_the_changed_line_a_trimmed_frame_names_leads(tmp_path: Path) -> None:
    changed = {"calc/calc.go": [7]}
    files = _files(CASE["root_output"], tmp_path / "logs", _checkout(tmp_path / "repo"), changed)
    first = next(iter(files.values()))
    assert (first.path, first.lines, first.changed, first.line_changed) == (
        "calc/calc.go", (7,), True, True)  # fmt: skip


def test_a_nested_module_s_frame_is_its_folder_s_file(tmp_path: Path) -> None:
    """``example.com/lint`` is declared by ``tools/lint/go.mod``: its frames lie there."""
    files = _files(CASE["nested_output"], tmp_path / "logs", _checkout(tmp_path / "repo"))
    assert files["tools/lint/rules/rules.go"].lines == (5,), files
    assert "tools/lint/rules/rules_test.go" in files, files


def test_a_module_in_a_folder_of_the_checkout_places_its_frames(tmp_path: Path) -> None:
    """No ``go.mod`` at the root (a monorepo's ``backend/``): the module's own places them."""
    files = _files(CASE["root_output"], tmp_path / "logs", _checkout(tmp_path / "repo", "backend"))
    assert files["backend/calc/calc.go"].lines == (7,), files


def test_without_the_checkout_the_changed_file_places_a_trimmed_frame(tmp_path: Path) -> None:
    files = _files(CASE["root_output"], tmp_path / "logs", None, {"calc/calc.go": [7]})
    assert files["calc/calc.go"].line_changed, files
    assert not [p for p in files if p.startswith(("testing/", "runtime/"))], files


def test_attack_a_module_line_or_frame_that_climbs_out_places_nothing(tmp_path: Path) -> None:
    """A frame ``example.com/shop/../../outside/x.go`` and a ``go.mod`` declaring
    ``module example.com/shop/..``: neither names a file out of the checkout."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.go").write_text("package x\n")
    repo = _checkout(tmp_path / "repo")
    modules = GoModules(repo)
    assert modules.file("example.com/shop/../../outside/x.go") is None
    assert modules.file("example.com/shop/calc/../../../outside/x.go") is None
    (repo / "evil").mkdir()
    (repo / "evil" / "go.mod").write_text("module ../..\n")
    assert GoModules(repo).file("../../outside/x.go") is None
    assert GoModules(repo).file("example.com/shop/calc/calc.go") == "calc/calc.go"
    log = "\texample.com/shop/../../outside/x.go:3 +0x1d\n" + CASE["root_output"]
    files = _files(log, tmp_path / "logs", repo)
    assert not [p for p in files if "outside" in p and not files[p].frame], files


def test_attack_a_go_mod_through_a_link_is_not_read(tmp_path: Path) -> None:
    """A ``go.mod`` that is a link to a module file out of the checkout declares nothing."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "go.mod").write_text("module example.com/shop\n")
    repo = _checkout(tmp_path / "repo")
    (repo / "go.mod").unlink()
    (repo / "go.mod").symlink_to(elsewhere / "go.mod")
    assert GoModules(repo).file("example.com/shop/calc/calc.go") is None


def test_attack_two_modules_declaring_one_path_place_nothing(tmp_path: Path) -> None:
    """A second ``go.mod`` declaring the root's path (``copy/``, holding ``calc/calc.go`` too):
    the frame could be either file, so it is none."""
    repo = _checkout(tmp_path / "repo")
    _checkout(repo, "copy")
    assert GoModules(repo).file("example.com/shop/calc/calc.go") is None
