"""The fallback's field search (for workflows zizmor refused): the same fields as the one
pattern it replaced, found in time linear in the template whatever it repeats."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.workflows.ours import untrusted_field

LONG = "github.event.commits" + "[0]" * 50_000 + ".message"


@pytest.mark.parametrize(
    ("template", "field"),
    [
        (" github.event.issue.title ", "github.event.issue.title"),
        (" github.event.commits[0].message ", "github.event.commits[0].message"),
        (" join(github.event.commits.*.author.name) ", "github.event.commits.*.author.name"),
        (" github.event.pages[0].page_name ", "github.event.pages[0].page_name"),
        # The first field, by where it starts, as the old pattern's leftmost match.
        (
            " github.event.pages[github.event.commits[0].author.name].page_name ",
            "github.event.pages[github.event.commits[0].author.name].page_name",
        ),
        # A list mentioned in one stretch, its field in the next: the later list counts.
        (" github.event.commits } github.event.commits.message ", "github.event.commits.message"),
        # Far past any cap a pattern could have had.
        (f" {LONG} ", LONG),
    ],
)
def test_fields_a_stranger_writes(template: str, field: str) -> None:
    assert untrusted_field(template) == field


@pytest.mark.parametrize(
    "template",
    [
        " github.event.commits ",
        " github.event.commits } .message ",
        " github.event.pull_request.number ",
        " github.event.head_commit.id ",
        " github.event.commits" * 10_000,
    ],
)
def test_fields_nobody_outside_writes(template: str) -> None:
    assert untrusted_field(template) is None
