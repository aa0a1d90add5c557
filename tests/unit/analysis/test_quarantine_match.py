"""The one rule test-step and analyse-failure match a quarantine entry by: an entry names a test
as its runner prints it; a bare go name is no go test's id; an entry naming no test is said."""

from __future__ import annotations

from datetime import date

from cicd_agent.analysis.history import canonical_test
from cicd_agent.analysis.quarantine_match import covering, names_none
from cicd_agent.job.repo_config import QuarantineEntry

GO = "github.com/dustin/go-humanize.TestSharedStartsEmpty"
PYTEST = "tests/test_shared_cache.py::SharedCacheTest::test_starts_empty"


def _entries(*tests: str) -> list[QuarantineEntry]:
    return [QuarantineEntry(test, "dustin", date(2026, 12, 30)) for test in tests]


def test_an_entry_covers_the_test_its_runner_names_and_no_bare_or_other_package_name() -> None:
    entries = _entries(GO, PYTEST)
    for own in (GO, PYTEST):
        entry, within, why = covering(canonical_test(own), own, entries)
        assert entry is not None and entry.test == own and not within and why == ""
    for own in ("github.com/x/other.TestSharedStartsEmpty", "TestSharedStartsEmpty"):
        assert covering(canonical_test(own), own, entries)[0] is None, own
    bare = _entries("TestSharedStartsEmpty")
    assert covering(canonical_test(GO), GO, bare) == (None, False, "")


def test_an_entry_naming_no_test_is_said_with_the_runs_name_for_it() -> None:
    said = names_none(_entries("TestSharedStartsEmpty", GO, "tests/test_gone.py::test_x"),
                      {GO, PYTEST}, what="the tests this run reported")  # fmt: skip
    assert said == (
        "Quarantine entries that name none of the tests this run reported, so they excuse "
        f"nothing: `TestSharedStartsEmpty` (this run names `{GO}`), `tests/test_gone.py::test_x`. "
        "An entry names a test as its runner prints it (go's `package.TestName`, pytest's "
        "`file::test`).")  # fmt: skip
    assert names_none(_entries(GO), {GO}, what="x") == ""
    assert names_none(_entries("m.TestQ"), {"m.TestQ/sub"}, what="x", within={"m.TestQ"}) == ""
