"""The dependency entries of manifests and lockfiles, read from the pull request's
own text: what counts as a dependency, and hostile files that must neither crash nor stall
the reader (an unreadable file keeps its dependency type: None, never "nothing moved")."""

from __future__ import annotations

import json
import re

import pytest
from pygments.lexers import find_lexer_class_for_filename, get_all_lexers
from pygments.util import ClassNotFound

from cicd_agent.risk import dependencies, runs
from cicd_agent.risk.dependencies import changed_entries
from cicd_agent.risk.runs import MAX_FILE_BYTES, what_runs

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <groupId>org.example</groupId><artifactId>shop</artifactId><version>{own}</version>
  <properties><jackson.version>{jackson}</jackson.version></properties>
  <dependencies>
    <dependency><groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId><version>${{jackson.version}}</version></dependency>
  </dependencies>
</project>
"""


def test_the_packages_own_version_is_not_a_dependency() -> None:
    assert (
        changed_entries(
            "pom.xml",
            POM.format(own="1.0", jackson="2.15.0"),
            POM.format(own="1.1", jackson="2.15.0"),
        )
        == ()
    )
    package = {
        "name": "shop",
        "version": "1.0.0",
        "scripts": {"test": "jest"},
        "dependencies": {"ms": "2.1.3"},
    }
    bumped = {**package, "version": "1.1.0", "scripts": {"test": "vitest"}}
    assert changed_entries("package.json", json.dumps(package), json.dumps(bumped)) == ()


def test_an_entry_that_gains_a_version_says_it_had_none() -> None:
    """webcolors' build requirement ``setuptools`` pinned to ``>=61.0`` read
    "setuptools (build)  → >=61.0", a blank where the old version goes."""
    before = '[build-system]\nrequires = ["setuptools"]\n'
    after = '[build-system]\nrequires = ["setuptools>=61.0"]\n'
    [moved] = changed_entries("pyproject.toml", before, after) or ("",)
    assert moved.endswith("any version → >=61.0"), moved
    assert "  " not in moved, moved


def test_a_property_that_names_a_version_is_a_dependency_change() -> None:
    moved = changed_entries(
        "pom.xml", POM.format(own="1.0", jackson="2.15.0"), POM.format(own="1.0", jackson="2.16.1")
    )
    assert moved == ("com.fasterxml.jackson.core:jackson-databind 2.15.0 → 2.16.1",)


def test_each_requirement_line_counts_even_under_one_name() -> None:
    before = "mypy==1.4 ; python_version<'3.8'\nmypy==1.19 ; python_version>='3.12'\n"
    after = "mypy==1.5 ; python_version<'3.8'\nmypy==1.19 ; python_version>='3.12'\n"
    assert changed_entries("requirements-dev.txt", before, after) == (
        "mypy ; python_version<'3.8' ==1.4 → ==1.5",
    )


def test_only_the_dependency_part_of_a_manifest_is_a_dependency_change() -> None:
    """A description, a comment or a tool's settings are configuration; a requirement is not."""
    cfg = "[metadata]\ndescription = x\n[options]\ninstall_requires =\n    six\n"
    assert changed_entries("setup.cfg", cfg, cfg.replace("= x", "= y") + "[mypy]\nx = 1\n") == ()
    assert changed_entries("setup.cfg", cfg, cfg + "    requests\n") == (
        "+ requests (install_requires)",
    )
    package = {"description": "a", "dependencies": {"ms": "2.1.3"}}
    described = {**package, "description": "b"}
    assert changed_entries("package.json", json.dumps(package), json.dumps(described)) == ()
    assert changed_entries(
        "package.json", json.dumps(package), json.dumps({**package, "dependencies": {}})
    ) == ('- ms (dependencies) "2.1.3"',)
    crate = '[package]\nname = "a"\ndescription = "a"\n[dependencies]\nlog = "0.4"\n'
    assert changed_entries("Cargo.toml", crate, crate.replace('"a"\n[', '"b"\n[')) == ()
    assert changed_entries("Cargo.toml", crate, crate.replace("0.4", "0.5")) == (
        'log (dependencies) "0.4" → "0.5"',
    )
    mod = "module m\n\nrequire example.com/a v1.0.0\n"
    assert changed_entries("go.mod", mod, "// the module\n" + mod) == ()
    assert changed_entries("go.mod", mod, mod.replace("v1.0.0", "v1.1.0")) == (
        "example.com/a v1.0.0 → v1.1.0",
    )


HOSTILE = [
    ("setup.cfg", "[options]\ninstall_requires = a\n[options]\n"),
    ("setup.cfg", "no section header\n"),
    ("setup.cfg", "[options]\n" + "install_requires =\n" + "  a\n" * 50_000),
    (
        "pom.xml",
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><project>&b;</project>',
    ),
    ("pom.xml", '<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><project>&x;</project>'),
    ("pom.xml", "<project><dependencies><dependency>"),
    ("package.json", "[" * 100_000 + "]" * 100_000),
    ("package.json", '{"dependencies": ["a", 1, null, {"b": 2}]}'),
    ("package-lock.json", '{"packages": {"node_modules/a": 3}}'),
    ("Cargo.toml", "[dependencies\nserde = "),
    ("pyproject.toml", '[project]\ndependencies = "requests"\n'),
    ("go.mod", "require (\n\t=> \n)\nreplace => =>\n"),
    ("uv.lock", "package = 3\n"),
    ("requirements.txt", "x" * (dependencies.MAX_BYTES + 1)),
]


@pytest.mark.parametrize(
    ("name", "text"), HOSTILE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(HOSTILE)]
)
def test_a_hostile_manifest_never_crashes_the_reader(name: str, text: str) -> None:
    found = changed_entries(name, None, text)
    assert found is None or isinstance(found, tuple)
    if "ENTITY" in text:
        assert found is None  # a DTD is never read, so nothing expands or reaches a file


def test_a_file_past_the_bound_is_not_tokenised_so_its_lines_count() -> None:
    big = "# comment\n" * (MAX_FILE_BYTES // 10 + 1)
    diff = "@@ -1,1 +1,2 @@\n # comment\n+# comment\n"
    assert what_runs({"big.py": (big, big + "# comment\n")}, {"big.py": diff}) == {}
    small = what_runs(
        {"a.py": ("x = 1\n", "# note\nx = 1\n")}, {"a.py": "@@ -0,0 +1 @@\n+# note\n"}
    )
    assert small["a.py"].quiet and small["a.py"].raw == 1


def _lock(resolved: str, integrity: str) -> str:
    package = {"version": "4.17.21", "resolved": resolved, "integrity": integrity}
    return json.dumps({"lockfileVersion": 3, "packages": {"": {}, "node_modules/lodash": package}})


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        ("package-lock.json",  # same version, the tarball from elsewhere
         _lock("https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz", "sha512-good"),
         _lock("https://evil.example/lodash-4.17.21.tgz", "sha512-evil")),
        ("uv.lock",
         '[[package]]\nname = "requests"\nversion = "2.32.3"\n'
         'source = { registry = "https://pypi.org/simple" }\n',
         '[[package]]\nname = "requests"\nversion = "2.32.3"\n'
         'source = { registry = "https://evil.example/simple" }\n'),
        ("Cargo.lock",
         '[[package]]\nname = "serde"\nversion = "1.0.0"\nsource = "registry+https://github.com/'
         'rust-lang/crates.io-index"\nchecksum = "aa"\n',
         '[[package]]\nname = "serde"\nversion = "1.0.0"\nsource = "registry+https://github.com/'
         'rust-lang/crates.io-index"\nchecksum = "bb"\n'),
        ("go.sum", "golang.org/x/text v0.3.0 h1:good=\n", "golang.org/x/text v0.3.0 h1:evil=\n"),
        ("requirements.txt", "requests==2.32.3\n",
         "--extra-index-url https://evil.example/simple\nrequests==2.32.3\n"),
        ("pyproject.toml", '[project]\ndependencies = ["requests"]\n',
         '[project]\ndependencies = ["requests"]\n'
         '[tool.uv.sources]\nrequests = { git = "https://evil.example/requests" }\n'),
    ],
)  # fmt: skip
def test_attack_code_from_another_place_at_the_same_version_is_a_dependency_change(
    name: str, before: str, after: str
) -> None:
    """ATTACK: the pull request keeps every name and version and changes where the code comes
    from (a lockfile's tarball and hash, a registry, an index, a source override): the same
    third-party name, other code. Read as "no entry changed", the file was configuration and
    the dependency floor did not hold."""
    assert changed_entries(name, before, after), name


@pytest.mark.parametrize(
    ("before", "after", "diff", "expected"),
    [
        ("x = 1\n", "x = 1\ny = 2\n", "@@ -1,0 +2 @@\n+y = 2\n", (1, 0, False)),
        ("x = 1\n# gone\n", "x = 1\n", "@@ -2 +1,0 @@\n-# gone\n", (0, 0, True)),
        ("x = 1\ny = 2\n", "x = 1\n", "@@ -2 +1,0 @@\n-y = 2\n", (0, 1, False)),
        ('s = """\n"""\n', 's = """\n\n"""\n', "@@ -1,0 +2 @@\n+\n", (1, 0, False)),
        ("x = 1\n", "x = 1\n", "", (0, 0, True)),
    ],
    ids=["adds code", "deletes a comment", "deletes code", "blank line in a string", "same text"],
)
def test_a_side_left_untokenised_gives_the_same_lines(
    before: str, after: str, diff: str, expected: tuple[int, int, bool]
) -> None:
    """Only adding (or only deleting) lines, or an unchanged text, reads one side or none."""
    found = what_runs({"a.py": (before, after)}, {"a.py": diff})["a.py"]
    assert (found.added, found.deleted, found.quiet) == expected


def test_a_side_is_read_no_further_than_the_answer_needs() -> None:
    """Sides that differ on their first line are not tokenised to their end; sides whose
    tokens are the same are read whole (a quiet change needs every token compared)."""
    lexer = runs._lexer("a.py")
    assert lexer is not None
    tail = "".join(f"v{n} = {n}\n" for n in range(500))
    base, head = runs._Side(lexer, "x = 1\n" + tail), runs._Side(lexer, "x = 2\n" + tail)
    assert head.count([1]) == 1
    assert runs._differ(base, head)
    assert not base.done and not head.done and head.line < 10
    same = runs._Side(lexer, "# a\n" + tail), runs._Side(lexer, "# b\n" + tail)
    assert not runs._differ(*same)
    assert all(side.done for side in same)


def test_a_lexer_is_chosen_by_the_whole_name_where_pygments_does() -> None:
    names = {
        path: (lexer.name if lexer else None)
        for path in ("x/CMakeLists.txt", "notes.txt", "a/Makefile", "b.mk", "c.py", "Makefile.am")
        for lexer in [runs._lexer(path)]
    }
    assert names["x/CMakeLists.txt"] == "CMake" and names["notes.txt"] != "CMake"
    assert names["a/Makefile"] == names["b.mk"] == "Makefile"
    assert names["c.py"] == "Python"
    assert runs._lexer("d.py") is runs._lexer("c.py")  # one instance per extension


def test_the_lexer_is_the_one_pygments_gives_for_a_name_of_each_of_its_patterns() -> None:
    """The lookup without plugins answers as ``get_lexer_for_filename`` on a file name made
    from each of Pygments' own patterns (``*`` → ``x``, ``?`` → ``a``, ``[ab]`` → ``a``)."""
    names = {"Makefile", "noext", "x.PY", "a.b.c", ".bashrc"}
    for _, _, patterns, _ in get_all_lexers(plugins=False):
        names |= {re.sub(r"\[(.)[^\]]*\]", r"\1", p).replace("*", "x").replace("?", "a")
                  for p in patterns}  # fmt: skip
    differ = []
    for name in sorted(names):
        try:
            expected = find_lexer_class_for_filename(name)
        except ClassNotFound:
            expected = None
        if runs._lexer_class(name) is not expected:
            differ.append(name)
    assert len(names) > 800 and differ == []


SETUP_CFG_BASE = "[metadata]\nname = a\n[DEFAULT]\nextra = six\n[options]\ninstall_requires =\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # setuptools interpolates `%(name)s` (its ConfigParser's default): the requirement is
        # the [DEFAULT] value, which the head changes while the line that names it stays put
        (SETUP_CFG_BASE + "    %(extra)s\n", SETUP_CFG_BASE.replace("six", "evil") + "  %(extra)s\n"),
        # setuptools reads `install-requires` in [options] as `install_requires` (a warning)
        ("[options]\ninstall_requires = six\n", "[options]\ninstall_requires = six\n"
         "setup-requires = evil\n"),
    ],
    ids=["interpolated", "dashed-key"],
)
def test_attack_a_setup_cfg_requirement_setuptools_reads_is_never_nothing_moved(
    before: str, after: str
) -> None:
    """Each head here installs ``evil`` under setuptools (65.5's ``Distribution.
    parse_config_files``); the reader must say so or say it cannot compare, never ``()``."""
    assert changed_entries("setup.cfg", before, after) != ()
