"""The quarantine entry added to the settings file as text: comments and order kept in every
layout a team writes, and any layout where a text edit would read back as anything but the old
file plus exactly the new entries refused, never proposed."""

from __future__ import annotations

from datetime import date

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.bounded_yaml import load_text
from cicd_agent.job.repo_config import QuarantineEntry
from cicd_agent.modes.test_step.quarantine_pr import branch_for, entries_for, with_entries

TODAY = date(2026, 11, 29)
NEW = QuarantineEntry("tests/test_a.py::test_x[1]", "acme/db", date(2026, 12, 29))
OLD = "    - test: tests/t.py::old\n      owner: '@a'\n      expires: '2026-12-01'\n"


@pytest.mark.parametrize("text", [
    "",
    "review:\n  fail-on: high  # the team's\n",
    "analyse-failure:\n  fix: suggest\n# a comment\nreview:\n  fail-on: high\n",
    "analyse-failure:\n  quarantine:\n" + OLD + "  fix: suggest\n",
    "analyse-failure:\n  quarantine:\n" + OLD.replace("    ", "  ") + "  fix: suggest\n",
    "analyse-failure:\n  quarantine:\n",
    "# cicd-agent's settings: none yet\n",  # comments only: the section is added
    "analyse-failure:\r\n  fix: suggest\r\n",  # Windows line ends
    "\ufeffanalyse-failure:\n  quarantine:\n" + OLD,  # a byte order mark
    "analyse-failure:\n    quarantine:  # four spaces\n" + OLD.replace("    ", "      ") + "review: {}\n",
    "analyse-failure:\n  quarantine:\n  - {test: t, owner: '@a', expires: '2026-12-01'}\n  fix: pr\n",
    # a block scalar that reads like the section is text of another key: the section is added
    "review:\n  path-instructions:\n    '*.py': |\n      analyse-failure:\n        quarantine:\n",
])  # fmt: skip
def test_the_entry_is_added_and_every_other_line_kept(text: str) -> None:
    edited = with_entries(text, [NEW], TODAY)
    assert all(line in edited.splitlines() for line in text.splitlines())  # nothing lost
    document = load_text(edited)
    assert isinstance(document, dict)
    assert document["analyse-failure"]["quarantine"][-1] == {
        "test": NEW.test, "owner": "@acme/db", "expires": "2026-12-29"}  # fmt: skip


@pytest.mark.parametrize("text", [
    "analyse-failure:\n  quarantine: []\n",  # written inline
    "analyse-failure: &a\n  fix: suggest\nreview: *a\n",  # one section shared by an anchor
    "analyse-failure:\n  quarantine:\n  # the list is below\n\nreview:\n  - x\n",  # not a mapping
])  # fmt: skip
def test_attack_a_layout_a_text_edit_would_misread_is_refused(text: str) -> None:
    """An inline list, an anchor that shares the section with another, a file the reader
    refuses: the edit would land elsewhere than the list, change another section, or leave a
    file no run reads. Each is refused with one line, and nothing is proposed."""
    with pytest.raises(UsageError, match=r"add them by hand|must|unknown|refused|valid"):
        with_entries(text, [NEW], TODAY)


def test_only_tests_whose_file_has_an_owner_get_an_entry_and_one_set_one_branch() -> None:
    owners = "tests/db/ @acme/db\n"
    made, ownerless = entries_for(["tests/db/test_q.py::t", "tests/ui/test_w.py::t"], owners,
                                  lambda test: test.split("::")[0], TODAY)  # fmt: skip
    assert [(e.test, e.owner, e.expires) for e in made] == [
        ("tests/db/test_q.py::t", "acme/db", date(2026, 12, 29))]  # fmt: skip
    assert ownerless == ["tests/ui/test_w.py::t"]
    assert branch_for(made) == branch_for(list(reversed(made)))
    assert branch_for(made).startswith("cicd-agent/quarantine-")


@pytest.mark.parametrize("text", [
    "review: [\n",  # not YAML
    "review: {}\n---\nreview: {}\n",  # two documents
    "analyse-failure:\n\tfix: suggest\n",  # a tab indents
    "review:\n  fail-on: high\x7f\n",  # a byte YAML refuses
    "review: &a [*a]\n",  # an alias to its own parent
])  # fmt: skip
def test_attack_a_pushed_settings_file_no_run_reads_is_one_line_not_a_crash(text: str) -> None:
    """The file is read at the pushed commit, not the trusted one the run's settings came from,
    so it may be one the reader refuses: the proposal says why in one line (a UsageError the
    caller notes), never an error that ends the step with its verdict unwritten."""
    with pytest.raises(UsageError, match=r"cicd-agent\.yml"):
        with_entries(text, [NEW], TODAY)


def test_a_test_named_with_a_character_beyond_the_basic_plane_is_written_as_itself() -> None:
    """An emoji in a test's name (a Jest or Go name): JSON's escape of it is a surrogate pair,
    which YAML reads as two broken characters, so the edit never read back and was refused."""
    named = QuarantineEntry("renders \U0001f600 and caf\u00e9", "acme/db", date(2026, 12, 29))
    document = load_text(with_entries("", [named], TODAY))
    assert isinstance(document, dict)
    assert document["analyse-failure"]["quarantine"][0]["test"] == named.test


def test_an_edit_the_reader_refuses_is_said_as_the_edits_not_the_files() -> None:
    """A section written inline gets a second one appended, which the reader refuses as a key
    written twice: the line said to fix the file on the base branch, which is fine as it is."""
    with pytest.raises(UsageError) as refused:
        with_entries("analyse-failure: {fix: suggest}\n", [NEW], TODAY)
    assert "with the new entries added as text would be refused" in str(refused.value)
    assert "written twice" in str(refused.value) and "base branch" not in str(refused.value)
