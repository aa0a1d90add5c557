"""Reports a job's own tools wrote, under any content: JUnit XML (analyse-failure's history,
the fix judge's evidence); review's linter reports: tests/modes/review/fuzz/test_lint_reports.py;
deploy-gate's pass rate and coverage: tests/modes/deploy_gate/fuzz/test_safety_reports.py. Each
reader gives its result or its own documented refusal (a usage error, nothing), never another
exception.

The code under test writes these reports, so they are the pull request's text: hostile
attribute values and names, entities, nesting past any parser's limit, cut and non-UTF-8
bytes, and real-shaped reports with one value made hostile."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cicd_agent.runners.junit import outcomes, outcomes_in_zip
from tests.fuzz.hostile import budget, texts


def attribute() -> st.SearchStrategy[str]:
    """An XML attribute: quoted (a lone surrogate or NUL then makes bytes expat refuses)
    or raw, so quotes and ampersands break out."""
    return st.one_of(texts(20).map(quoteattr), texts(10).map(lambda text: f'"{text}"'))


@st.composite
def junit(draw: st.DrawFn) -> bytes:
    """A JUnit report shaped like pytest's, with hostile names, counts and results."""
    cases = []
    for _ in range(draw(st.integers(0, 4))):
        result = draw(
            st.sampled_from(
                [
                    "",
                    "<failure message={}/>",
                    "<error>{}</error>",
                    "<skipped/>",
                    "<failure>{}</failure><skipped/>",
                ]
            )
        )
        keys = draw(
            st.lists(st.sampled_from(["name", "classname", "time", "file", "line"]), unique=True)
        )
        attributes = " ".join(f"{key}={draw(attribute())}" for key in keys)
        cases.append(f"<testcase {attributes}>{result.format(draw(attribute()))}</testcase>")
    suite = f"<testsuite tests={draw(attribute())} time={draw(attribute())}>{''.join(cases)}</testsuite>"
    text = draw(
        st.sampled_from(["<testsuites>{}</testsuites>", "{}", "<testsuites>{0}{0}</testsuites>"])
    ).format(suite)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.sampled_from([b"", b"\xff", b"&lol;", b"<"])) + data[at:]
    return data


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %c "%s">' % (98 + n, (b"&%c;" % (97 + n)) * 10) for n in range(8))
    + b']><testsuite><testcase name="&i;"/></testsuite>'
)
"""The billion laughs: entities expanding to 10^9 characters."""
XML = st.one_of(
    junit(),
    junit(),
    st.binary(max_size=200),
    st.sampled_from(
        [
            LAUGHS,
            b"<testsuite>" * 100_000,
            b"<testsuites>" + b"<testsuite>" * 5_000,
            b'<?xml version="1.0" encoding="utf-16"?><testsuite/>',
            b"\xef\xbb\xbf<testsuite/>",
        ]
    ),
)


@budget(30)
@given(report=XML)
def test_any_junit_report_gives_outcomes_or_nothing(report: bytes) -> None:
    found = outcomes(report)
    assert all(isinstance(name, str) and isinstance(passed, bool) for name, passed in found.items())


@pytest.mark.filterwarnings("ignore:Duplicate name")  # two members of one name: a case too
@budget(12)
@given(
    members=st.lists(
        st.tuples(st.sampled_from(["r.xml", "a/../b.xml", "x.txt", "\udcff.xml"]), XML), max_size=3
    ),
    cut=st.integers(0, 400),
)
def test_any_artifact_zip_gives_outcomes_or_nothing(members: list[tuple[str, bytes]], cut: int):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as written:
        for name, data in members:
            written.writestr(name.encode("utf-8", "surrogatepass").decode("utf-8", "replace"), data)
    whole = archive.getvalue()
    for data in (whole, whole[:cut], whole[cut:]):
        assert isinstance(outcomes_in_zip(data), dict)
