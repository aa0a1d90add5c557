"""Where a test's dotted name leads is each runner's knowledge (its row's ``names``), read by the
registry's ``file_of_test``: a runner that says where its tests lie is found there, and the
walk never follows a link out of the checkout."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.runners.lookups import file_of_test
from cicd_agent.runners.named_files import NamedFiles
from cicd_agent.runners.named_files import file_of_test as read_with
from cicd_agent.runners.table import TABLE

SCALA = ((".scala",), NamedFiles(folders=("src/test/scala",), left_out=".scala"))
"""A runner the table does not hold: its suffixes and where its names lead."""


def test_a_runner_s_own_folders_and_suffix_are_what_finds_its_file(tmp_path: Path) -> None:
    (tmp_path / "src/test/scala/a").mkdir(parents=True)
    (tmp_path / "src/test/scala/a/BSpec.scala").write_text("")
    assert read_with(tmp_path, "a.BSpec.adds", [SCALA]) == "src/test/scala/a/BSpec.scala"
    assert file_of_test(tmp_path, "a.BSpec.adds") == ""  # no runner of the registry says so


def test_the_registry_reads_go_and_maven_names_from_their_folders(tmp_path: Path) -> None:
    for path in ("src/test/java/a/BTest.java", "calc/calc_test.go", "calc/more_test.go"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    assert file_of_test(tmp_path, "a.BTest.adds") == "src/test/java/a/BTest.java"
    assert file_of_test(tmp_path, "example.com.m.calc.TestFlaky") == "calc/calc_test.go"
    said = {row.name for row in TABLE if row.names != NamedFiles()}
    assert said == {"pytest", "go test", "maven"}


def test_attack_a_linked_folder_is_never_walked(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "pkg").mkdir(parents=True)
    (outside / "pkg" / "x_test.go").write_text("")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "pkg").symlink_to(outside / "pkg")
    assert file_of_test(checkout, "pkg.TestX") == ""
