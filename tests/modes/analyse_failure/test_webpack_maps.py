"""A bundle webpack built names its sources by URL (``webpack://shop-calc/./src/calc.js``, webpack
4's ``webpack:///./src/calc.js``), relative to the folder webpack ran in: the frame of the
bundle names the repository's file where one folder from the map's up to the checkout's root
holds it, and only one. The frames are absolute (node ran the bundle in ``/tmp/f4/wp``, as a
container's ``/app``): the built file is the checkout's by the longest tail it holds.

Real webpack 5 output and node's real report, frozen in tests/fixtures/logs/webpack (about.txt).
Every part of the map is the pull request's: a source that climbs out, an absolute one, one
through a link, a ``sourceRoot`` that climbs out, or a name two folders hold places nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cicd_agent.modes.analyse_failure.log_facts import ResponsibleFile
from cicd_agent.modes.analyse_failure.logs.source_maps import SourceMaps
from tests.modes.analyse_failure.job_logs import step_analysis

FROZEN = Path(__file__).resolve().parents[2] / "fixtures" / "logs" / "webpack"
LOG = (FROZEN / "node_test.txt").read_text()
MAP = json.loads((FROZEN / "main.js.map").read_text())


def _project(root: Path, map_name: str = "main.js.map", folder: str = "") -> Path:
    """The checkout: the bundle and its map in ``dist/``, the sources in ``src/``, under
    ``folder``."""
    base = root / folder
    (base / "dist").mkdir(parents=True)
    shutil.copy(FROZEN / "main.js", base / "dist" / "main.js")
    shutil.copy(FROZEN / map_name, base / "dist" / "main.js.map")
    shutil.copytree(FROZEN / "src", base / "src")
    return root


def _files(log: str, dest: Path, checkout: Path) -> dict[str, ResponsibleFile]:
    analysis = step_analysis(dest, "node --test test/", log.encode(), checkout=checkout)
    return {f.path: f for f in analysis.responsible_files}


def _with(root: Path, **changes: object) -> Path:
    (root / "dist" / "main.js.map").write_text(json.dumps({**MAP, **changes}))
    return root


def test_webpack_s_frame_names_the_source_line(tmp_path: Path) -> None:
    """``dist/main.js:40:11`` is ``src/calc.js:4`` (the ``throw``). Before: the absolute frame
    was never read against a map, and a ``webpack://`` source was refused."""
    files = _files(LOG, tmp_path / "logs", _project(tmp_path / "repo"))
    assert files["src/calc.js"].lines == (4,) and not files["src/calc.js"].frame, files
    assert not [p for p in files if p.endswith("main.js")], files


def test_webpack_4_s_source_urls_name_it_too(tmp_path: Path) -> None:
    files = _files(LOG, tmp_path / "logs", _project(tmp_path / "repo", "main.js.legacy.map"))
    assert files["src/calc.js"].lines == (4,), files


def test_a_package_of_a_monorepo_names_its_own_source(tmp_path: Path) -> None:
    """The bundle under ``packages/shop/``: its sources are that folder's."""
    root = _project(tmp_path / "repo", folder="packages/shop")
    assert SourceMaps(root).original("packages/shop/dist/main.js", 40, 11) == (
        "packages/shop/src/calc.js", 4)  # fmt: skip


def test_attack_webpack_sources_that_leave_the_checkout_place_nothing(tmp_path: Path) -> None:
    """A source climbing out, an absolute one (``webpack:////…``), one with a backslash, a
    ``sourceRoot`` climbing out, one through a link out, and a name two folders hold: none
    places the frame, and a ``file`` naming a host file changes nothing."""
    outside = tmp_path / "outside"
    (outside / "src").mkdir(parents=True)
    (outside / "src" / "calc.js").write_text("secret\n" * 10)
    calc = MAP["sources"].index("webpack://shop-calc/./src/calc.js")

    def sources(named: str) -> list[str]:
        return [*MAP["sources"][:calc], named, *MAP["sources"][calc + 1 :]]

    for i, changes in enumerate([
        {"sources": sources("webpack://shop-calc/../../outside/src/calc.js")},
        {"sources": sources("webpack://shop-calc/../../../../../../../../etc/passwd")},
        {"sources": sources(f"webpack:///{outside}/src/calc.js")},
        {"sources": sources(f"webpack:////{outside}/src/calc.js")},
        {"sources": sources("webpack://shop-calc/.\\src\\calc.js")},
        {"sourceRoot": "webpack://shop-calc/../../outside", "sources": sources("./src/calc.js")},
        {"sourceRoot": "../../outside/", "sources": sources("src/calc.js")},
        {"sources": sources("webpack://shop-calc/./.git/config")},
    ]):  # fmt: skip
        root = _with(_project(tmp_path / str(i)), **changes)
        (root / ".git").mkdir()
        (root / ".git" / "config").write_text("[core]\n")
        assert SourceMaps(root).original("dist/main.js", 40, 11) is None, changes
    linked = _project(tmp_path / "linked")
    (linked / "src" / "calc.js").unlink()
    (linked / "src" / "calc.js").symlink_to(outside / "src" / "calc.js")
    assert SourceMaps(linked).original("dist/main.js", 40, 11) is None
    twice = _project(tmp_path / "twice")
    shutil.copytree(FROZEN / "src", twice / "dist" / "src")  # dist/src/calc.js and src/calc.js
    assert SourceMaps(twice).original("dist/main.js", 40, 11) is None
    named = _with(_project(tmp_path / "named"), file=str(outside / "src" / "calc.js"))
    assert SourceMaps(named).original("dist/main.js", 40, 11) == ("src/calc.js", 4)


def test_an_absolute_frame_is_the_checkout_s_file_by_its_longest_tail(tmp_path: Path) -> None:
    """``/tmp/f4/wp/dist/main.js`` is ``dist/main.js``; with no map it is shown as that file.
    A tail the checkout lacks (``/srv/other/main.js``: only the bare name would fit) is the frame
    as printed, never a file."""
    root = _project(tmp_path / "repo")
    (root / "dist" / "main.js.map").unlink()
    (root / "dist" / "main.js").write_text((FROZEN / "main.js").read_text().replace(
        "//# sourceMappingURL=main.js.map", ""))  # fmt: skip
    log = LOG + "      at other (/srv/other/main.js:3:1)\n"
    files = _files(log, tmp_path / "logs", root)
    assert files["dist/main.js"].lines[0] == 40 and not files["dist/main.js"].frame, files
    assert files["/srv/other/main.js"].frame, files
