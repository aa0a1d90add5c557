"""A Go test's message names its file by base name (``shape_test.go:7:``), and two packages of
one module may each hold a ``shape_test.go``: the package's closing ``FAIL`` line places it
(real ``go test ./...`` output of a two-package module, tests/fixtures/logs/go_packages.json,
its ``Rect`` broken in ``geometry/area``; go 1.19)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from cicd_agent.runners.go import paths as go_paths
from cicd_agent.runners.go.modules import GoModules
from cicd_agent.runners.go.paths import go_packages, go_path
from cicd_agent.runners.shape import Frame
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, write_layout

LOGS = Path(__file__).resolve().parents[2] / "fixtures" / "logs"
CASE = json.loads((LOGS / "go_packages.json").read_text())
NESTED = json.loads((LOGS / "go_nested_modules.json").read_text())


def _analyse(dest: Path, case: dict[str, str] = CASE, output: str = "output",
             **given: object) -> LogAnalysis:  # fmt: skip
    run = Step("Test", run=case["command"], output=case[output].encode(), exit_code=1)
    logs = load_logs(write_layout([Job("test", [noise.checkout(), run])], dest, "zip_steps"))
    return analyse_scans(scan_jobs(logs), **given)  # type: ignore[arg-type]


def test_a_go_test_file_is_placed_in_its_package(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    for name, text in CASE["files"].items():
        (tmp_path / "module" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "module" / name).write_text(text)
    analysis = _analyse(tmp_path / "logs", checkout=tmp_path / "module")
    paths = {f.path: f.lines for f in analysis.responsible_files}
    assert paths.get("geometry/area/shape_test.go") == (7,), paths
    assert "shape_test.go" not in paths


def test_without_the_checkout_the_changed_file_places_it(tmp_path: Path) -> None:
    changed = {"geometry/area/shape_test.go": [7], "geometry/perimeter/shape.go": [5]}
    analysis = _analyse(tmp_path, changed_files=list(changed), changed_lines=changed)
    assert analysis.responsible_files[0].path == "geometry/area/shape_test.go"


def test_the_readers_beneath_it_one_by_one(tmp_path: Path) -> None:
    """The package of each line is the one whose closing line is the first below it; the base
    name goes under that package's folder less the go.mod's module, where the checkout holds
    it, else under the one changed file that fits, else it stays a base name."""
    lines = list(enumerate(CASE["output"].splitlines(), start=1))
    package = go_packages(lines)
    assert [package(n) for n in (2, 3, 4, 5)] == [
        "example.com/shapes/geometry/area", "example.com/shapes/geometry/area",
        "example.com/shapes/geometry/perimeter", None]  # fmt: skip
    for name, text in CASE["files"].items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    modules = GoModules(tmp_path)
    assert modules.modules() == {"example.com/shapes": [""]}
    area = "example.com/shapes/geometry/area"
    assert go_path("shape_test.go", area, [], modules) == "geometry/area/shape_test.go"
    assert go_path("shape_test.go", area, ["geometry/area/shape_test.go"], GoModules(None)) \
        == "geometry/area/shape_test.go"  # fmt: skip
    assert go_path("gone_test.go", area, [], modules) == "gone_test.go"


def test_a_module_in_a_folder_of_the_checkout_places_it_by_the_import_path(tmp_path: Path) -> None:
    """No ``go.mod`` at the checkout's root (a module in ``shapes/``, as a monorepo keeps it):
    the longest tail of the package's import path whose folder holds the file places it."""
    for name, text in CASE["files"].items():
        (tmp_path / "repo" / "shapes" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "repo" / "shapes" / name).write_text(text)
    (tmp_path / "logs").mkdir()
    first = _analyse(tmp_path / "logs", checkout=tmp_path / "repo").responsible_files[0]
    assert (first.path, first.lines, first.frame) == (
        "shapes/geometry/area/shape_test.go",
        (7,),
        False,
    )


def test_a_base_name_nothing_places_is_shown_as_the_frame(tmp_path: Path) -> None:
    """The checkout (it holds the change's file) has no such file anywhere the package says
    (no ``go.mod`` declares it, and its folder is not in its import path): ``shape_test.go`` is
    no file of the repository, so it is shown as the frame the log prints, never annotated.
    Before: named as a file at the checkout's root."""
    for name, text in CASE["files"].items():
        if name == "go.mod":
            continue
        (tmp_path / "repo" / "svc" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "repo" / "svc" / name).write_text(text)
    (tmp_path / "logs").mkdir()
    changed = ["svc/geometry/area/shape.go"]  # held: the folder is the failed code's checkout
    analysis = _analyse(tmp_path / "logs", checkout=tmp_path / "repo", changed_files=changed)
    files = {f.path: f for f in analysis.responsible_files}
    assert files["shape_test.go"].frame, files


def test_attack_a_deep_package_named_many_times_costs_few_looks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a root ``go.mod`` each tail of the import path is tried as the package's folder,
    a walk of the checkout each: a test can print one message hundreds of times under a
    package of hundreds of folders the pull request made. Only the last few folders are
    tried, once per file and package; past ``MAX_PLACED`` pairs the base name stays. Before:
    every tail for every message (200 messages under 300 folders took 44 CPU seconds)."""
    root = tmp_path / "repo"
    (root / "/".join(["p"] * 60)).mkdir(parents=True)
    (root / "p" / "p" / "x_test.go").write_text("package p\n")
    package = "example.com/" + "/".join(["p"] * 60)
    messages = "".join(f"    {name}_test.go:12: boom\n" for name in ["x"] * 30 + ["y", "z"])
    log = (
        f"=== RUN   TestX\n{messages}--- FAIL: TestX (0.00s)\nFAIL\nFAIL\t{package}\t0.01s\nFAIL\n"
    )
    looks: list[str] = []
    real = go_paths.is_file
    monkeypatch.setattr(
        go_paths, "is_file", lambda at, path: looks.append(str(path)) or real(at, path)
    )
    monkeypatch.setattr(go_paths, "MAX_PLACED", 2)
    step = Step("Test", run="go test ./...", output=log.encode(), exit_code=1)
    (tmp_path / "logs").mkdir()
    job = Job("test", [noise.checkout(), step])
    logs = load_logs(write_layout([job], tmp_path / "logs", "zip_steps"))
    named = {f.path: f for f in analyse_scans(scan_jobs(logs), checkout=root).responsible_files}
    assert not named["p/p/x_test.go"].frame, named
    assert "z_test.go" in named, named  # past MAX_PLACED: the base name
    assert len(looks) <= 2 * (go_paths.MAX_TAIL_FOLDERS + 1), len(looks)


def _nested(root: Path, *copies: str) -> Path:
    """The two-module repository of the nested case, with ``copies``: more folders holding
    the lint module again (its ``go.mod`` declaring the same path, as a vendored copy does)."""
    for name, text in NESTED["files"].items():
        for where in ("", *copies) if name.startswith("tools/lint/") else ("",):
            target = root / (name.replace("tools/lint", where, 1) if where else name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    return root


@pytest.mark.parametrize("output", ["output", "json_output"])
def test_a_nested_modules_test_file_is_placed_by_the_go_mod_declaring_its_package(
    tmp_path: Path, output: str
) -> None:
    """Real output of a repository with a module at its root (``example.com/app``, holding a
    ``rules_test.go`` of its own) and one in ``tools/lint`` (``example.com/lint``), its
    ``rules`` package failing, plain and ``-json``: the base name goes under the folder of
    the go.mod declaring the package's module. Before: the root module did not hold the
    package, so the base name stood, and the root's own ``rules_test.go`` was named."""
    repo = _nested(tmp_path / "repo")
    (tmp_path / "logs").mkdir()
    analysis = _analyse(tmp_path / "logs", NESTED, output, checkout=repo)
    files = {f.path: f for f in analysis.responsible_files}
    assert files["tools/lint/rules/rules_test.go"].lines == (7,), files
    assert not files["tools/lint/rules/rules_test.go"].frame
    assert "rules_test.go" not in files, files


def test_a_package_two_modules_could_hold_is_shown_as_the_frame_not_a_file(tmp_path: Path) -> None:
    """Two go.mod files declare ``example.com/lint`` (``tools/lint`` and a copy in
    ``third_party/lint``), each holding ``rules/rules_test.go``: the frame is shown as go
    printed it, never either copy, nor the root's file of that name."""
    repo = _nested(tmp_path / "repo", "third_party/lint")
    (tmp_path / "logs").mkdir()
    analysis = _analyse(tmp_path / "logs", NESTED, checkout=repo)
    files = {f.path: f for f in analysis.responsible_files}
    assert files["rules_test.go"].frame, files
    assert not {"tools/lint/rules/rules_test.go", "third_party/lint/rules/rules_test.go"} & set(files)
    place = go_paths.go_places([(1, "FAIL\texample.com/lint/rules\t0.01s")], repo)
    assert isinstance(place("rules_test.go", 0, []), Frame)


def test_attack_hostile_go_mod_files_place_no_frame_outside_their_own_folder(tmp_path: Path) -> None:
    """Every go.mod is the pull request's: a linked one (to a go.mod outside the checkout, or
    to another module's), a pipe (opened, it would wait forever), a binary one, one past the
    size bound, and one whose module path climbs with ``..`` are read as no module; a frame
    whose path climbs out is placed nowhere. The root's module still places its own files."""
    import os

    repo = tmp_path / "repo"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "go.mod").write_text("module example.com/app/calc\n")
    (outside / "secret.go").write_text("package x\n")
    files = {"go.mod": "module example.com/app\n", "calc/calc_test.go": "package calc\n",
             "binary/go.mod": "\0\xff\xfemodule example.com/app/calc\n\0",
             "huge/go.mod": "module example.com/app/calc\n" + "// x\n" * 20_000,
             "climb/go.mod": "module example.com/app/../../..\n",
             "climb/calc_test.go": "package x\n"}  # fmt: skip
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    for folder in ("linked", "linked_in", "pipe"):
        (repo / folder).mkdir()
        (repo / folder / "calc_test.go").write_text("package x\n")
    os.symlink(outside / "go.mod", repo / "linked" / "go.mod")
    os.symlink(repo / "go.mod", repo / "linked_in" / "go.mod")
    os.mkfifo(repo / "pipe" / "go.mod")
    os.symlink(outside, repo / "escape")
    modules = GoModules(repo)
    assert modules.modules() == {"example.com/app": [""]}, modules.modules()
    assert modules.holding("example.com/app/calc/calc_test.go") == ["calc/calc_test.go"]
    for frame in ("example.com/app/../outside/secret.go", "example.com/app/escape/secret.go",
                  "example.com/app/../../../calc_test.go", "example.com/app/calc/../../x.go"):  # fmt: skip
        assert modules.holding(frame) == [], frame
    place = go_paths.go_places([(1, "FAIL\texample.com/app/calc\t0.01s")], repo)
    assert place("calc_test.go", 0, []) == "calc/calc_test.go"


def test_attack_a_go_mod_declaring_a_longer_path_of_the_root_module_takes_no_frame(
    tmp_path: Path,
) -> None:
    """A pull request adds ``evil/go.mod`` declaring ``example.com/app/calc`` beside the root
    module's own ``calc`` package, and an ``evil/calc_test.go``: go builds the root's package
    (the nested module is in no build list), so the frame is ambiguous, shown as printed, and
    never blames the planted file. A nested module of its own path still places its files."""
    repo = tmp_path / "repo"
    files = {"go.mod": "module example.com/app\n", "calc/calc_test.go": "package calc\n",
             "evil/go.mod": "module example.com/app/calc\n", "evil/calc_test.go": "package x\n",
             "tools/lint/go.mod": "module example.com/lint\n",
             "tools/lint/rules/rules_test.go": "package rules\n"}  # fmt: skip
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    modules = GoModules(repo)
    assert sorted(modules.holding("example.com/app/calc/calc_test.go")) == [
        "calc/calc_test.go", "evil/calc_test.go"]  # fmt: skip
    assert modules.file("example.com/app/calc/calc_test.go") is None
    place = go_paths.go_places([(1, "FAIL\texample.com/app/calc\t0.01s")], repo)
    assert isinstance(place("calc_test.go", 0, []), Frame)
    assert modules.holding("example.com/lint/rules/rules_test.go") == ["tools/lint/rules/rules_test.go"]
