"""The README's modes table is what is installed: one row per mode the registry lists, in its
order, each linking its page, and gen-tests' row names every runner that writes tests."""

from __future__ import annotations

import re

from cicd_agent.plugins import installed_modes, plugin
from cicd_agent.runners.table import RUNNERS
from tests.harness.payloads import REPO_ROOT


def _rows() -> dict[str, str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Modes", 1)[1].split("\n## ", 1)[0]
    return {m[1]: line for line in table.splitlines()
            if (m := re.match(r"\| \[`([\w-]+)`\]\(docs/modes/\1\.md\)", line))}  # fmt: skip


def test_the_modes_table_lists_every_installed_mode_in_order() -> None:
    first_party = [name for name, plugin in installed_modes().items() if plugin.own]
    assert list(_rows()) == first_party
    for name in first_party:
        assert (REPO_ROOT / "docs" / "modes" / f"{name}.md").is_file(), name


def test_gen_tests_row_names_each_runner_it_writes_tests_for() -> None:
    writers = {runner.name for runner in RUNNERS if runner.name != "maven"}  # maven: no coverage
    row = _rows()["gen-tests"]
    assert [name for name in sorted(writers) if name not in row] == []


def test_the_exit_codes_say_what_the_test_step_returns() -> None:
    """The test step has no ``fail-on``: it exits 1 on its own verdict, a failed test. The
    README's exit codes say so, in the words of its page, and name every code the page gives."""
    from cicd_agent.actions.errors import ExitCode

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = {m[1]: line for line in section.splitlines() if (m := re.match(r"\| (\d) \|", line))}
    page = (REPO_ROOT / "docs" / "modes" / "test-step.md").read_text(encoding="utf-8")
    said = page.split("**Exit codes:**", 1)[1].split("\n\n", 1)[0]
    assert plugin("test-step").arguments().FAIL_ON_CHOICES == () and ExitCode.POLICY == 1
    assert "`test-step`" in rows["1"] and "a test failed" in rows["1"] and "a test failed" in said
    for code in re.findall(r"\b([0-3]) ", said):
        assert code in rows, code
    assert "exit 3" in page and "deadline" in rows["3"]
