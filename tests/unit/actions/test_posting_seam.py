"""Property: nothing a pull request or a model wrote is live in anything we post.

Posters take only :class:`Neutral` text, and only the neutraliser makes it (``posted`` for a
whole text, ``fitted`` for a cut, ``with_hidden`` for our markers). So two things are driven
here with shapes drawn from a fixed seed (indented and fenced blocks, code spans, list
nesting, table cells, quotes, our own tags, cut points) and read as GitHub renders them
(cmark-gfm with raw HTML kept, :func:`live_in_post`):

- the seam itself: hostile text in every place our renderings put untrusted text, then cut at
  seeded points to GitHub's limits;
- each posting path of review as its publish step builds it (the model's summary and findings,
  the hand-off's claims, describe's text, a command's reply): review's own tests,
  tests/modes/review/test_review_posting_seam.py, which take the shapes from here.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from cicd_agent.actions.markdown import Neutral, neutralise, posted, with_hidden
from cicd_agent.actions.rendered import live_in_post
from cicd_agent.actions.withheld import withheld
from cicd_agent.analysis.redact import Redactor
from cicd_agent.github.limits import fit
from tests.unit.actions.test_rendered import GFM_PIECES

OWN = ("https://github.com/o/r/",)
LIVE = (
    "@acme/security-team [x](https://evil.example/l) ![i](https://evil.example/p.png) "
    "<img src=https://evil.example/q.png> other/repo#12"
)
# The posting leftovers: a link to an issue (ours is #2 in these tests, other numbers are not),
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
