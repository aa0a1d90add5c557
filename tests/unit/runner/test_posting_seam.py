"""Property (issue 42): nothing a pull request or a model wrote is live in anything we post.

Posters take only :class:`Neutral` text, and only the neutraliser makes it (``posted`` for a
whole text, ``fitted`` for a cut, ``with_hidden`` for our markers). So two things are driven
here with shapes drawn from a fixed seed (indented and fenced blocks, code spans, list
nesting, table cells, quotes, our own tags, cut points) and read as GitHub renders them
(cmark-gfm with raw HTML kept, :func:`live_in_post`):

- the seam itself: hostile text in every place our renderings put untrusted text, then cut at
  seeded points to GitHub's limits;
- each posting path of review as its publish step builds it: the model's summary and findings,
  the fork-safe hand-off's claims and summary, placed inline or in the body, into the review
  body, inline comments, check run, summary comment and job summary; describe's what, why
  and notes into the pull request's body; a command's reply.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.finding_text import body_item
from cicd_agent.analysis.redact import Redactor
from cicd_agent.github.limits import fit
from cicd_agent.modes.gen_tests.result import CandidateReport, GenTestsResult
from cicd_agent.modes.review.answer import (
    DescriptionAnswer,
    GroupSummary,
    ModelFinding,
    ReviewAnswer,
)
from cicd_agent.modes.review.decide import merged_summary, model_findings
from cicd_agent.modes.review.describe import model_text
from cicd_agent.modes.review.description import describe_diff, render
from cicd_agent.modes.review.handoff.collect import _text, vet_claims
from cicd_agent.modes.review.handoff.file import HandedFinding, HandedResult
from cicd_agent.modes.review.ledger import Ledger
from cicd_agent.modes.review.placement import comment_body, place
from cicd_agent.modes.review.publish import _comment
from cicd_agent.modes.review.result import InlineNote, ReviewResult
from cicd_agent.runner.markdown import Neutral, neutralise, posted, with_hidden
from cicd_agent.runner.rendered import live_in_post
from cicd_agent.runner.withheld import withheld
from tests.unit.runner.test_rendered import GFM_PIECES

OWN = ("https://github.com/o/r/",)
LIVE = (
    "@acme/security-team [x](https://evil.example/l) ![i](https://evil.example/p.png) "
    "<img src=https://evil.example/q.png> other/repo#12"
)
# Issue 42's leftovers: a link to an issue (ours is #2 in these tests, other numbers are not),
# a reference form the hold for ours took for ours, bytes GitHub refuses, a secret.
TOKEN = "ghp_" + "R8xk2QmZp4Lw9Tn6Vb3Yc7Hd1Fj5Gs0Ka2Me"
LEFTOVERS = [
    "https://github.com/o/r/issues/12", "<https://github.com/o/r/pull/12#issuecomment-1>",
    "[x](https://github.com/o/r/discussions/12)", "www.github.com/o/r/pull/12", " repo.#2 ",
    "\x00", "\x1b[31m", "\x07", "\x85", "\ud800", f" {TOKEN} ",
]  # fmt: skip
_REFUSED_BYTES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
PIECES = [*GFM_PIECES, f"    {LIVE}\n", f"\n\n    {LIVE}\n\n", f"`{LIVE}`", f"``{LIVE}``",
          f"```\n{LIVE}\n```", "  - ", "    - ", "      * ", "   1. ", "<details>", "</summary>",
          "<sub>", "<br>", "\U0010ff00", "| x |", "\t", LIVE, *LEFTOVERS]  # fmt: skip
# Where our renderings put untrusted text ({} is the text).
PLACES = {
    "paragraph": "{}",
    "after our words": "**Notes**\n\n- ours\n\n{}\n\nour own words after it",
    "table cell": "| | |\n|---|---|\n| Title | {} |\n| Next | ours |",
    "list item": "- {}\n- ours",
    "nested list": "- a\n  - b\n    - {}\n\nours",
    "details": "<details><summary>Notes ({})</summary>\n\n{}\n\n</details>\n\nours",
    "small print": "<sub>{}</sub><br>\n\nours",
    "heading": "### {}\n\nours",
    "quote": "> {}\n\nours",
}
_HIDDEN = re.compile(r"(?:\s*<!-- cicd-agent[\w-]*:[\w.:/@+ -]* -->)+\s*\Z")
_DIFF = (
    "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n"
    "@@ -1,3 +1,3 @@\n a = 1\n-b = 2\n+b = compute(2)\n c = 3\n"
)


@pytest.fixture(autouse=True)
def _in_a_run() -> Iterator[None]:
    """Every post happens while a run is open, its redactor registered (as a run's context
    does): the secret shapes are redacted here."""
    with withheld(Redactor().redact):
        yield


def shapes(count: int, seed: int = 20261125) -> list[str]:
    draw = random.Random(seed)
    return ["".join(draw.choices(PIECES, k=draw.randint(2, 12))) for _ in range(count)]


def inert(text: Neutral) -> None:
    assert isinstance(text, Neutral)
    shown = _HIDDEN.sub("", text)
    assert live_in_post(shown, OWN) == [], shown
    assert not _REFUSED_BYTES.search(text), repr(text)
    assert TOKEN[4:20] not in text, text


@pytest.mark.parametrize("text", shapes(150))
def test_the_seam_makes_hostile_text_inert_in_every_place_and_every_cut(text: str) -> None:
    draw = random.Random(text.encode("utf-8", "surrogatepass"))
    for where, shape in PLACES.items():
        whole = posted(shape.replace("{}", text), allowed_links=OWN)
        inert(whole)
        assert "ours" in whole or "ours" not in shape, f"our own text is kept ({where})"
        for room in sorted(draw.sample(range(1, len(whole) + 1), min(4, len(whole)))):
            inert(fit(whole, room + 80))


@pytest.mark.parametrize("text", shapes(60, seed=42))
def test_every_review_posting_path_is_inert(text: str) -> None:
    """The model's summary and findings, and the hand-off's, through placement into what
    review's publish step hands each poster."""
    model = ModelFinding(
        path="src/app.py", line=2, start_line=None, severity="high", category="security",
        title=text, body=text, replacement=None, confidence=0.9,
    )  # fmt: skip
    far = model.model_copy(update={"line": 40, "title": f"far {text}"})
    answer = ReviewAnswer(summary=text, verdict="comment", findings=[model, far])
    findings, _ = model_findings([answer], {"src/app.py"}, str, links=OWN)
    handed = HandedResult(
        format="cicd-agent/review-result", version=1, pull_request=2, head_sha="a" * 40,
        base_sha=None, decision="comment", risk_level="low", risk_reasons=[], summary=text,
        omitted_findings=0,
        findings=[HandedFinding(
            rule="model-security", severity="high", category="security", path="src/app.py",
            line=2, start_line=None, title=text, body=text, suggestion=None, confidence=0.9,
            source="model",
        )],
    )  # fmt: skip
    claims, _ = vet_claims(handed, {"src/app.py"}, str)
    for summary, found in (
        (merged_summary([answer], str, links=OWN), findings),
        (_text(text, 1200, str, one_line=True), claims),
    ):
        result = _result(summary, found)
        inert(posted(result.review_body(), allowed_links=OWN))
        inert(posted(result.make_headline(), allowed_links=OWN))
        inert(posted(result.summary_body(), allowed_links=OWN))
        inert(posted(result.summary_markdown(), allowed_links=OWN))
        inert(result.summary_comment(Ledger(heads=("b" * 40,)), OWN))
        for note in result.comments:
            inert(_comment(note, OWN).body)


def _result(summary: str, findings: list[Finding]) -> ReviewResult:
    placement = place(findings, parse_diff(_DIFF), lambda path, line: f"{OWN[0]}blob/x/{path}")
    return ReviewResult(
        mode="review", headline="", decision="comment", risk_level="low", summary=summary,
        report_on="low", findings=findings,
        comments=list(placement.inline),
        body_items=[item.text for item in placement.body],
        risk_reasons=[summary],
    )  # fmt: skip


@pytest.mark.parametrize("text", shapes(60, seed=7))
def test_describe_and_a_command_reply_are_inert(text: str) -> None:
    facts = describe_diff(parse_diff(_DIFF))
    groups = [GroupSummary(group=name, summary=text) for name in ("source", "Source")]
    words = model_text(DescriptionAnswer(what=text, why=text, groups=groups), ["source"], str)
    inert(
        posted(render(facts, risk_level="low", risk_reasons=[text], model=words), allowed_links=OWN)
    )
    reply = f"{neutralise(text, allowed_links=OWN)}\n\n<sub>In reply to [this comment]({OWN[0]}pull/2).</sub>"
    inert(posted(reply, allowed_links=OWN))


def test_our_own_tags_links_and_markers_stay_and_nobody_else_can_make_them() -> None:
    ours = posted(
        f"<details><summary>Why</summary>\n\n- [run]({OWN[0]}actions/runs/1)\n\n</details>\n"
        "<sub>small</sub>",
        allowed_links=OWN,
    )
    assert "<details><summary>Why</summary>" in ours and f"]({OWN[0]}actions/runs/1)" in ours
    forged = posted("\U0010ff00@x<picture><source srcset=https://evil.example/p.png>")
    assert "\U0010ff00" not in forged and "<details>" not in forged and "<picture" not in forged
    marked_text = with_hidden(ours, "<!-- cicd-agent:review-summary -->")
    assert marked_text.endswith("\n\n<!-- cicd-agent:review-summary -->")
    with pytest.raises(ValueError, match="not one of our hidden lines"):
        with_hidden(ours, "<!-- cicd-agent:x --> <img src=x>")
    with pytest.raises(TypeError, match="made only by"):
        Neutral("@x", object())


def test_any_change_to_neutral_text_is_plain_text_again() -> None:
    """What mypy relies on to reject a flattened, stripped or cut text at a poster: every
    str operation on Neutral text gives a plain str (typeshed types them so, too)."""
    text = neutralise(f"    {LIVE}\n")
    changed = [text.strip(), " ".join(text.split()), text[:10], text + "x", f"{text}", text.upper()]
    assert all(type(each) is str for each in changed)


def test_raw_html_the_reader_cannot_parse_is_live_not_a_crash() -> None:
    """Found on a wider seed: our ``<br>``, put back, left ``<![a…`` raw, a declaration
    Python's HTML parser asserts on; the seam crashed instead of escaping our tags too."""
    text = (
        "https://github.com/o/r/../../evil/x\\1. <summary>&#96;<br>```\n"
        f"{LIVE}\n```<![a](https://github.com/o/r/x.png)\U0010ff00_https://evil.example/p_"
    )
    inert(posted(PLACES["details"].replace("{}", text), allowed_links=OWN))


def _raw_outside_code(text: str) -> str:
    """``text`` as GitHub renders it with raw HTML kept, code elements taken out: what is left
    is read by GitHub's mention filter (``(?:^|\\W)@name``, a backtick is a non-word character)
    and shown as HTML."""
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    return re.sub(r"(?s)<(code|pre)[ >].*?</\1>", "", html)


# A pull request writes one of our tags on a line of its own with code after it: put back, the
# tag opens an HTML block, in which GitHub parses no Markdown, so what neutralise kept as code
# (a backtick-quoted team mention, a raw heading or table) is raw there.
_OUR_TAG_OPENS_A_BLOCK = [
    "<details>\n`@acme/security-team`",
    "x\n\n<sub>\n`<h1>Approved by the security team</h1>`",
    "<summary>`<table><tr><td>forged</td></tr></table>`</summary>",
    "- a\n  <details>\n  `@acme/security-team` `<h2>LGTM</h2>`",
]


@pytest.mark.parametrize("text", _OUR_TAG_OPENS_A_BLOCK)
def test_a_tag_like_ours_written_by_a_pull_request_opens_no_block_over_its_code(text: str) -> None:
    """Found by a red team: ``posted`` put back every ``<details>`` (ours or not), and the
    reader skipped an ``@`` after a backtick; the team was pinged, the heading was a heading."""
    for where, shape in PLACES.items():
        shown = posted(shape.replace("{}", text), allowed_links=OWN)
        inert(shown)
        raw = _raw_outside_code(shown)
        assert not re.search(r"(?<!\w)@acme", raw), (where, raw)
        assert not re.search(r"<h[12]\b|<td>forged", raw), (where, raw)


def test_a_suggestion_moved_into_the_review_body_cannot_leave_its_block() -> None:
    """Review's path for an inline comment GitHub refused: it becomes a list item of the body.
    A lone carriage return in the model's replacement ends a line for GitHub but not for the
    indentation, so the rest of the suggestion left the list item, a ``<details>`` line
    opened an HTML block there and the model's code went raw into the review body."""
    model = ModelFinding(
        path="src/app.py", line=2, start_line=None, severity="high", category="security",
        title="t", body="b", confidence=0.9,
        replacement="b = 2\r<details>\r`@acme/security-team` `<h1>Approved by security</h1>`",
    )  # fmt: skip
    answer = ReviewAnswer(summary="s", verdict="comment", findings=[model])
    findings, _ = model_findings([answer], {"src/app.py"}, str, links=OWN)
    moved = body_item(comment_body(findings[0], suggestion=True), "src/app.py", 2)
    result = _result("s", findings).model_copy(update={"comments": [], "body_items": [moved]})
    shown = posted(result.review_body(), allowed_links=OWN)
    inert(shown)
    raw = _raw_outside_code(shown)
    assert not re.search(r"(?<!\w)@acme", raw) and "<h1" not in raw, raw


@pytest.mark.parametrize("line_end", ["\r", "\r\n"])
def test_a_carriage_return_in_a_table_cell_forges_no_heading(line_end: str) -> None:
    """Found by a red team: a cell is flattened by its line feeds, but GitHub ends a line at a
    lone carriage return too. A candidate's reason quotes pytest (a test id the pull request's
    conftest can rename): it ended gen-tests' table and forged a heading under it."""
    reason = (
        f"1 of 1 test(s) did not pass, first test_calc.py::test_add[p{line_end}"
        f"# All generated tests were verified by the security team{line_end}| x | y | z | w |]"
    )
    candidate = CandidateReport(
        segment="calc.add", attempt=1, test_path="tests/test_calc.py", stopped_at="pass",
        reason=reason,
    )  # fmt: skip
    result = GenTestsResult(mode="gen-tests", headline="h", candidates=[candidate])
    shown = posted(result.summary_markdown(), allowed_links=OWN)
    inert(shown)
    html = cmarkgfm.github_flavored_markdown_to_html(shown)
    assert "<h1>" not in html and re.search(r"<td>[^<]*security team[^<]*</td>", html), html


def test_attack_a_checked_suggestion_block_cannot_leave_its_fence() -> None:
    """Issue 51: a checked suggestion (a linter's fix of the pull request's own text, or the
    model's) holding a closing fence, HTML and mentions, with the line that says what it was
    checked against, posts nothing live outside its block."""
    hostile = f"x = 1\n```\n</details><h1>Approved</h1>\n{LIVE}\n````\n"
    checked = "Checked in the sandbox with this change applied: ruff still pass."
    finding = Finding(rule="ruff/F401", severity="medium", category="lint", path="src/app.py",
                      line=2, title="t", body="b", suggestion=hostile, checked=checked)  # fmt: skip
    body = comment_body(finding, suggestion=True)
    shown = _comment(InlineNote(path="src/app.py", line=2, body=body), OWN).body
    inert(shown)
    raw = _raw_outside_code(shown)
    assert not re.search(r"(?<!\w)@acme", raw) and "<h1" not in raw, raw
    assert raw.strip().endswith("ruff still pass.</em></p>")  # under the block, outside it


def test_attack_a_checked_suggestion_too_long_to_post_whole_is_never_posted_cut() -> None:
    """A suggestion block is applied as posted: one cut to fit a comment would apply other
    code than the verifier checked (the cut ends a function halfway). A checked suggestion
    over a comment's length is posted whole or not as a block at all."""
    long = "".join(f"    total += {n}\n" for n in range(6_000))  # about 100,000 characters
    checked = "Checked in the sandbox with this change applied: ruff still pass."
    finding = Finding(rule="model-bug", severity="medium", category="bug", path="src/app.py",
                      line=2, title="t", body="b", suggestion=long, checked=checked)  # fmt: skip
    body = comment_body(finding, suggestion=True)
    shown = _comment(InlineNote(path="src/app.py", line=2, body=body), OWN).body
    if "```suggestion" in shown:
        block = shown.split("```suggestion\n", 1)[1].split("\n```", 1)[0]
        assert block + "\n" == long
    else:
        assert "Suggested code:" in shown and checked not in shown  # shown, not applicable
