"""The requirement files a setup.cfg or pyproject.toml names: resolved from the configuration's
folder, kept inside it, and nothing from text that does not parse."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.named_manifests import named_files


def test_a_configuration_in_a_folder_names_files_from_that_folder() -> None:
    cfg = (
        "[options]\ninstall_requires = file: deps.in, ./more/b.in\n"
        "[options.extras_require]\ndev = file: dev.in\n"
    )
    assert named_files("pkg/setup.cfg", cfg) == {
        "pkg/deps.in": "pkg/setup.cfg's install_requires",
        "pkg/more/b.in": "pkg/setup.cfg's install_requires",
        "pkg/dev.in": "pkg/setup.cfg's extras_require dev",
    }


@pytest.mark.parametrize(
    "text",
    [
        "[options]\ninstall_requires = file: a.in\ninstall-requires = file: b.in\n",
        "not a section\n",
    ],
)
def test_a_setup_cfg_that_does_not_parse_or_escapes_names_nothing(text: str) -> None:
    assert named_files("setup.cfg", text) == {}


def test_a_pyproject_that_does_not_parse_names_nothing() -> None:
    assert named_files("pyproject.toml", "a = " + "[" * 100_000) == {}
    assert named_files("pyproject.toml", "[tool.setuptools]\ndynamic = 1\n") == {}


def test_attack_an_extra_named_across_lines_says_what_names_a_file_on_one_short_line() -> None:
    """An extra's name is the pull request's text, and TOML lets a quoted key hold a line break:
    quoted in the dependency floor's reason, it must not open a line of its own (a heading
    saying the change is safe) in the posted summary, nor run on without end."""
    key = "x\\n\\n## Safe to deploy: approved\\n" + "y" * 5000
    text = (
        '[project]\nname = "a"\n[tool.setuptools.dynamic]\n'
        f'optional-dependencies."{key}" = {{file = "extra.in"}}\n'
    )
    where = named_files("pyproject.toml", text)["extra.in"]
    assert "\n" not in where and "\r" not in where, where
    assert len(where) <= 200, len(where)


def test_attack_a_pyproject_name_with_spaces_at_its_ends_is_that_file() -> None:
    """setuptools strips the names of a setup.cfg's ``file:`` list, but opens a pyproject's
    ``file`` names as written: `` deps.in`` there is a file whose name starts with a space."""
    text = '[tool.setuptools.dynamic]\ndependencies = {file = [" deps.in", "b.in "]}\n'
    assert set(named_files("pkg/pyproject.toml", text)) == {"pkg/ deps.in", "pkg/b.in "}
    cfg = "[options]\ninstall_requires = file:  deps.in , b.in\n"
    assert set(named_files("setup.cfg", cfg)) == {"deps.in", "b.in"}


def test_attack_a_setup_cfg_name_given_through_interpolation_is_that_file() -> None:
    """setuptools reads setup.cfg with configparser's ``%(key)s`` interpolation: a ``file:``
    name given through another key is the file it expands to."""
    cfg = "[options]\nreqs = deps.in\ninstall_requires = file: %(reqs)s\n"
    assert set(named_files("setup.cfg", cfg)) == {"deps.in"}
    refs = "".join(f"a{n} = " + f"%(a{n - 1})s" * 100 + "\n" for n in range(1, 10))
    bomb = f"[options]\na0 = {'x' * 1000}\n{refs}install_requires = file: %(a9)s\n"
    assert named_files("setup.cfg", bomb) == {}
    assert named_files("setup.cfg", "[options]\ninstall_requires = file: %(none)s\n") == {}
