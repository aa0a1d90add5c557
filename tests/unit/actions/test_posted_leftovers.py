"""Posting leftovers: what untrusted text could still make through the seam.

- a full URL to an issue, pull request or discussion (bare, in ``<…>``, as ``[x](…)``, with
  ``www.`` or a ``#issuecomment-…`` fragment) is a link GitHub turns into a cross-reference
  ("mentioned this" in that issue's timeline): untrusted text shows it as text; our own links
  to the pull request we post on stay links, through :class:`Reference`;
- every form GitHub's docs list as an autolinked reference (``#26``, ``GH-26``,
  ``owner/repo#26``, ``Org_name/repo#26``, the issue URL), and ``repo.#26``, which the hold
  for our own ``#26`` took for ours;
- bytes GitHub refuses or mangles in a body (NUL and the other C0 controls, DEL, C1 controls,
  lone surrogates) never reach a poster;
- secrets: every posted text is redacted before it is neutralised, by the seam itself.
"""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote
from zipfile import ZipFile

import cmarkgfm
import pytest

from cicd_agent import cli
from cicd_agent.actions.annotations import annotation_text, annotation_title
from cicd_agent.actions.errors import CicdError
from cicd_agent.actions.markdown import Reference, neutralise, posted, prose, unreferenced
from cicd_agent.actions.notify import slack_text
from cicd_agent.actions.withheld import held, withheld
from cicd_agent.analysis.redact import Redactor
from cicd_agent.github.limits import fit
from cicd_agent.plugins import plugin
from tests.harness.payloads import REPO_ROOT
from tests.helpers.cli import run_cli
from tests.helpers.context import run_context
from tests.unit.actions.test_posting_seam import PLACES, inert

OWN = ("https://github.com/o/r/",)
_TARGETS = ["issues/12", "pull/12", "pulls/12", "discussions/12", "issues/12#issuecomment-99",
            "pull/12/files", "ISSUES/12", "%69ssues/12"]  # fmt: skip
_LINKED_ISSUE = re.compile(r"(?i)/(?:%69|i)ssues/\d|/pulls?/\d|/discussions/\d")


def _cross_references(markdown: str) -> list[str]:
    """Each link GitHub would render to an issue, pull request or discussion (what makes a
    cross-reference), and each such URL left whole in text outside code (which GitHub's own
    autolinker, or a reader's client, may link): cmark-gfm, raw HTML kept."""
    html = cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=cmarkgfm.cmark.Options.CMARK_OPT_UNSAFE
    )
    hrefs = [h for h in re.findall(r'href="([^"]*)"', html) if _LINKED_ISSUE.search(h)]
    text = re.sub(r"(?s)<(code|pre)\b.*?</\1>|<[^>]*>", " ", html)
    whole = re.findall(r"(?i)(?:https?://|www\.)\S*?(?:issues|pulls?|discussions)/\d+", text)
    return hrefs + whole


@pytest.mark.parametrize("target", _TARGETS)
@pytest.mark.parametrize(
    "shape",
    ["see {url} now", "<{url}>", "[x]({url})", "![i]({url})", "_{url}_", "[x]: {url}\n\n[x]"],
)
def test_a_link_to_an_issue_in_untrusted_text_makes_no_cross_reference(
    shape: str, target: str
) -> None:
    for url in (
        f"{OWN[0]}{target}",
        f"www.github.com/o/r/{target}",
        f"https://github.com/a/b/{target}",
    ):
        text = shape.format(url=url)
        for where, place in PLACES.items():
            whole = place.replace("{}", text)
            for shown in (
                neutralise(whole, allowed_links=OWN),
                posted(whole, allowed_links=OWN),
                posted(whole, allowed_links=OWN, references=(Reference(3),)),
            ):
                assert _cross_references(shown) == [], (where, shown)
        assert _cross_references(prose(text)) == []


def test_our_own_links_to_the_pull_request_we_post_on_stay_links() -> None:
    """A command's reply links the review and the comment it answers: both on pull request 12,
    which the reply names as ``Reference(12)``; the model's link to #13 in the same text is
    shown as text."""
    review = f"{OWN[0]}pull/12#pullrequestreview-5"
    asked = f"{OWN[0]}pull/12#issuecomment-7"
    model = neutralise(f"see {OWN[0]}issues/13 and {OWN[0]}pull/12", allowed_links=OWN)
    text = (
        f"See [the review]({review}).\n\n{model}\n\n<sub>In reply to [this comment]({asked}).</sub>"
    )
    shown = posted(text, allowed_links=OWN, references=(Reference(12),))
    html = cmarkgfm.github_flavored_markdown_to_html(
        shown, options=cmarkgfm.cmark.Options.CMARK_OPT_UNSAFE
    )
    assert f'href="{review}"' in html and f'href="{asked}"' in html
    assert "issues/13" in shown and "/13" not in "".join(re.findall(r'href="([^"]*)"', html))
    assert _cross_references(posted(text, allowed_links=OWN)) == []  # not ours: text
    cut = fit(posted(text + " pad" * 60, allowed_links=OWN, references=(Reference(12),)), 200)
    assert "truncated" in cut


@pytest.mark.parametrize(
    "text",
    ["repo.#12", "o/repo.#12", "sheetsee.js#12", "a-#12", "x@#12", "x:#12", "~#12", "x'#12",
     "github-linguist/linguist#12", "Org_name/Repository#12", "[x]#12", "*#12*", "x.GH-12"],
)  # fmt: skip
def test_every_documented_reference_form_stays_broken_beside_our_own_number(text: str) -> None:
    """The hold for our own ``#12`` took ``repo.#12`` (and any ``#12`` after a character other
    than a word character, ``/``, ``&``, ``#`` or ``-``) for ours: GitHub reads it as a
    reference to another repository's issue. Ours stand alone: after a space, ``(`` or at the
    start of a line."""
    shown = posted(f"{text} and (#12) ours: #12", references=(Reference(12),))
    html = cmarkgfm.github_flavored_markdown_to_html(shown)
    live = re.findall(r"(?i)[\w.\-/@:~'*\]]*(?:#|gh-)\d+", re.sub(r"<[^>]*>", " ", html))
    assert live == ["#12", "#12"], shown


_REFUSED = "\x00\x01\x07\x08\x0b\x0c\x1b\x1f\x7f\x80\x85\x9b\ud800\udfff"


@pytest.mark.parametrize("byte", list(_REFUSED))
def test_no_posted_text_carries_a_byte_github_refuses(byte: str) -> None:
    """NUL: GitHub's API refuses a body holding ``\\u0000`` (and the database behind it keeps
    none); the other C0 controls, DEL and C1 controls are shown by no browser and an escape
    rewrites a terminal reading the log; a lone surrogate is no UTF-8 at all."""
    for text in (
        f"a{byte}b",
        f"`a{byte}b`",
        f"```\na{byte}b\n```",
        f"    a{byte}b",
        f"| a{byte} |",
    ):
        for shown in (neutralise(text), posted(text), fit(posted(text * 40), 120)):
            assert byte not in shown and "\ufffd" in shown, repr(shown)
        assert byte not in annotation_text(text) and byte not in annotation_title(text)
    assert posted("tab\there\nline") == "tab\there\nline"


_TOKEN = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5"
_KNOWN = "correct-horse-battery-staple-42"


def test_every_posted_text_is_redacted_before_it_is_neutralised() -> None:
    """A text a command echoes (a token from a log, a file, a mode's error) reaches GitHub
    only through the seam, and the seam redacts the run's secrets and every secret shape
    first, then neutralises what redaction wrote (``[REDACTED:…]`` before ``(`` is no link)."""
    with withheld(Redactor([_KNOWN]).redact):
        for text in (
            f"token {_TOKEN} here",
            f"`{_KNOWN}`",
            f"    {_KNOWN}",
            f"{_KNOWN}({OWN[0]}x)",
        ):
            for shown in (
                neutralise(text, allowed_links=OWN),
                posted(text, allowed_links=OWN),
                annotation_text(text),
            ):
                assert _TOKEN not in shown and _KNOWN not in shown, shown
                assert "REDACTED" in shown
        inert(posted(PLACES["table cell"].replace("{}", f"{_KNOWN}({OWN[0]}x)"), allowed_links=OWN))
    assert _KNOWN in posted(_KNOWN)  # registered only while the run is open


def test_a_run_registers_its_redactor_while_it_is_open(tmp_path: Path) -> None:
    """The run's context is the one place a redactor is registered: from its creation until
    whoever started the run closes it (a nested run's while it runs)."""
    environ = {"GITHUB_TOKEN": "ghs_" + "k" * 36, "MY_API_KEY": _KNOWN}
    ctx, _ = run_context("review", ["--provider", "none"], environ, plugin("review").options())
    with ctx.resources:
        assert _KNOWN not in posted(f"key {_KNOWN}") and _TOKEN not in neutralise(_TOKEN)
        nested, _ = run_context("review", ["--provider", "none"], {}, plugin("review").options())
        with nested.resources:
            assert _TOKEN not in neutralise(_TOKEN)
        assert _KNOWN not in posted(f"key {_KNOWN}")
    assert _KNOWN in posted(f"key {_KNOWN}")


def test_chat_text_and_a_commit_message_are_redacted_and_hold_no_refused_byte() -> None:
    """The two posted texts that are not Markdown: a Slack message (its lines are log and
    model words) and a commit message we push (a test's name the pull request chose)."""
    with withheld(Redactor([_KNOWN]).redact):
        for text in (f"{_KNOWN} \x00\x1b[2J", f"token {_TOKEN}\x07"):
            for shown in (slack_text(text, link="https://github.com/o/r/actions/runs/1"),
                          unreferenced(text)):  # fmt: skip
                assert _KNOWN not in shown and _TOKEN not in shown, shown
                assert not re.search("[\x00-\x08\x1b\x7f]", shown), repr(shown)


def _shown_to_a_reader(markdown: str) -> str:
    """What GitHub shows of ``markdown`` (raw HTML kept): its text with tags dropped, character
    references decoded and zero-width spaces (which no reader sees) removed, and every link's
    and image's address."""
    html = cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=cmarkgfm.cmark.Options.CMARK_OPT_UNSAFE
    )
    addresses = re.findall(r'(?:href|src)="([^"]*)"', html)
    text = unescape(re.sub(r"<[^>]*>", "", html))
    return "\n".join([text, *map(unescape, addresses)]).replace("\u200b", "")


@pytest.mark.parametrize(
    "text",
    [_KNOWN.replace("-", "\\-"), "correct-horse-**battery**-staple-42",
     "correct-horse-*battery*-staple-42", "correct\\-horse-battery-staple\\-42",
     f"[x]({OWN[0]}blob/main/a?k=correct\\-horse\\-battery\\-staple\\-42)",
     _TOKEN.replace("_", "\\_"), f"{_TOKEN[:20]}**{_TOKEN[20:]}**"],
)  # fmt: skip
def test_a_secret_split_by_markup_github_drops_is_not_shown(text: str) -> None:
    """Redaction reads the text as written; GitHub shows it rendered, without the backslash
    escapes, emphasis and tags that split it. A secret those hide from redaction (a reply
    that re-spells a value it saw, ``correct\\-horse\\-…``) must not read whole on GitHub."""
    with withheld(Redactor([_KNOWN]).redact):
        for place in PLACES.values():
            whole = place.replace("{}", text)
            for shown in (
                neutralise(whole, allowed_links=OWN),
                posted(whole, allowed_links=OWN),
                posted(whole, allowed_links=OWN, references=(Reference(2),)),
                fit(posted(whole * 3, allowed_links=OWN), 400),
            ):
                seen = _shown_to_a_reader(shown)
                assert _KNOWN not in seen and _TOKEN not in seen, shown
                inert(shown)


@pytest.mark.parametrize(
    "url",
    [f"{OWN[0]}pull/2?x=1#https://github.com/o/r/issues/12",
     f"{OWN[0]}pull/2#{OWN[0]}issues/12", f"{OWN[0]}.git/issues/12",
     f"{OWN[0]}pull/2/commits/..%252f..%252fissues/12", f"{OWN[0]}blob/main/issues/12"],
)  # fmt: skip
def test_an_address_hidden_in_a_link_of_ours_makes_no_cross_reference(url: str) -> None:
    """A link into the repository that names our pull request (2) first may carry another
    address after it (GitHub's autolinker starts a new link at a ``https://`` anywhere) or name
    an issue further on its path (behind ``.git`` or a double percent-encoding a server or a
    reader's tool undoes): only links naming nothing but ours stay links."""
    for place in PLACES.values():
        whole = place.replace("{}", f"see {url} now")
        for shown in (
            neutralise(whole, allowed_links=OWN),
            posted(whole, allowed_links=OWN, references=(Reference(2),)),
        ):
            assert _cross_references(shown) == [], shown
    assert _cross_references(prose(f"see {url} now")) == []


def test_a_failed_runs_summary_is_redacted_after_its_context_closed(tmp_path: Path) -> None:
    """The CLI reports a failure after the run's context is closed (the exception leaves the
    ``with ctx.resources`` block first), and nothing was registered then: the job summary and
    the annotation it posts showed a note's secret (a Slack error naming the webhook's URL, a
    model error echoing a key) whole. The whole CLI run has the environment's redactor."""
    for name in ("out", "summary"):
        (tmp_path / name).touch()
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out"),
               "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"), "MY_API_KEY": _KNOWN}  # fmt: skip
    broken = {**environ, "CICD_AGENT_INPUTS": '{"mode": "review",'}  # fails before any context
    ctx, commands = run_context(
        "review", ["--provider", "none"], environ, plugin("review").options()
    )
    with ctx.resources:
        ctx.note(f"The Slack message could not be sent: 403 for {_KNOWN} and {_TOKEN}")
    stdout = io.StringIO()
    error = CicdError("the model failed", hint=f"check the key {_TOKEN}")
    # as main reports it: the context closed, nothing registered
    cli._fail(ctx.runner, ctx, None, "review", error, code=3, stdout=stdout, stderr=io.StringIO(),
              wants_json=True, environ=environ)  # fmt: skip
    assert "the model failed" in stdout.getvalue()
    written = (tmp_path / "summary").read_text() + (tmp_path / "out").read_text()
    written += commands.getvalue().replace(f"::add-mask::{_KNOWN}", "") + stdout.getvalue()
    assert _KNOWN not in written and _TOKEN not in written, written
    assert "REDACTED" in (tmp_path / "summary").read_text()
    stdout = io.StringIO()
    assert cli.main(["review"], environ=broken, stdout=stdout, stderr=io.StringIO()) == 2
    assert _KNOWN in posted(_KNOWN)  # registered only while the CLI reports


def test_a_redactor_opened_later_never_stands_in_for_an_open_runs_own() -> None:
    """Only the latest registered redactor was applied: one that knows other secrets (a nested
    run's, or a run's the canary server judges beside this one in another thread: the registry
    is one list) let this run's reply post its key whole meanwhile. Every open one applies."""
    with withheld(Redactor([_KNOWN]).redact):
        with withheld(Redactor().redact):  # a run with other secrets, opened later
            for shown in (posted(f"key {_KNOWN}"), neutralise(_KNOWN), unreferenced(_KNOWN),
                          annotation_text(_KNOWN)):  # fmt: skip
                assert _KNOWN not in shown and _TOKEN not in posted(_TOKEN), shown
        assert _KNOWN not in posted(_KNOWN)
    assert _KNOWN in posted(_KNOWN)


@pytest.mark.parametrize(
    "name",
    ["www.github.com/o/r/issues/12/test_a.py", "fixes https://github.com/o/r/issues/12",
     "see HTTP://github.com/o/r/pull/12 and www.GitHub.com/o/r/discussions/12"],
)  # fmt: skip
def test_a_commit_message_names_no_issue_by_its_address(name: str) -> None:
    """A commit message we push (gen-tests': its file names and targets come from the pull
    request) is read by GitHub for references and its addresses are linked: ``#12`` was broken,
    a top-level folder ``www.github.com`` or a URL to an issue was not."""
    shown = unreferenced(name)
    assert _cross_references(shown) == [], shown
    html = cmarkgfm.github_flavored_markdown_to_html(shown)
    assert "href" not in html, html


_ESCAPED = "".join(f"%{ord(character):02x}" for character in _KNOWN)


@pytest.mark.parametrize(
    "text",
    [f"https://evil.example/?k={_ESCAPED}", f"[x]({OWN[0]}blob/main/a?k={_ESCAPED})", _ESCAPED,
     f"<{OWN[0]}x?k={_ESCAPED.upper()}>", f"{OWN[0]}x?k={_ESCAPED[:30]}%00{_ESCAPED[30:]}"],
)  # fmt: skip
def test_a_secret_percent_encoded_whole_is_not_posted(text: str) -> None:
    """Redaction knows a value's percent-encoding as ``quote`` writes it, which leaves letters
    as they are; every character escaped (``%63%6f%72…``) is the same address to a browser and
    the value to anyone who decodes it. What GitHub shows is read decoded too."""
    with withheld(Redactor([_KNOWN]).redact):
        for place in PLACES.values():
            whole = place.replace("{}", text)
            for shown in (neutralise(whole, allowed_links=OWN), posted(whole, allowed_links=OWN)):
                seen = unquote(_shown_to_a_reader(shown))
                assert _KNOWN not in seen and _ESCAPED not in shown.lower(), shown
                inert(shown)
        for plain in (annotation_text(text), unreferenced(text), slack_text(text)):
            assert _KNOWN not in unquote(plain), plain


def test_a_text_shown_redacted_forges_none_of_our_markers() -> None:
    """A secret the rendering shows whole makes the text its shown form in a code block: one
    of our hidden markers the text wrote (``&lt;!-- cicd-agent:…``, shown as text) must not
    come back whole there, where the next run, finding its comments by their markers in the
    raw body, would take the comment for ours."""
    escaped = _TOKEN.replace("_", "\\_")  # a token shape split by an escape: shown whole
    text = f"&lt;!-- cicd-agent:summary -->\n\n<!-- cicd-agent:summary -->\n\n{escaped}"
    with withheld(Redactor().redact):
        for shown in (posted(text), neutralise(text)):
            assert "<!-- cicd-agent" not in shown and _TOKEN not in shown, shown
            assert "REDACTED" in shown


def _log_with(tmp_path: Path, words: str) -> Path:
    """The example pytest failure's logs, its failing line followed by ``words``."""
    zipped = tmp_path / "logs.zip"
    example = REPO_ROOT / "examples" / "logs" / "pytest-failure.zip"
    with ZipFile(example) as source, ZipFile(zipped, "w") as target:
        for item in source.infolist():
            text = source.read(item).decode()
            failing = "E       assert 5 == 6"
            target.writestr(item, text.replace(failing, f"{failing} {words}"))
    return zipped


_MIXED = "".join(e.upper() if n % 2 else e for n, e in enumerate(re.findall("%..", _ESCAPED)))


@pytest.mark.parametrize(
    "escaped",
    [_ESCAPED, _ESCAPED.upper(), _MIXED],
)
def test_a_log_line_the_seam_posts_redacted_leaves_no_secret_in_outputs_or_json(
    tmp_path: Path, escaped: str
) -> None:
    """A log line holding a known value with every character percent-encoded: the summary
    (through the seam) shows it decoded and redacted; the step outputs and the ``--json``
    document the same run writes must not carry it either."""
    logs = _log_with(tmp_path, f"key={_KNOWN} enc={escaped}")
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(logs), "--json"],
                   tmp_path, {"MY_API_KEY": _KNOWN})  # fmt: skip
    assert done.code == 0 and "REDACTED" in done.summary
    assert _KNOWN not in unquote(done.summary)
    assert _KNOWN not in unquote(done.outputs_text + done.stdout), "outputs or --json"


def test_runs_closed_out_of_order_each_take_only_their_own_redactor_and_values() -> None:
    """A run's redactor and the values it holds are one entry: the redactor and values of
    runs opened and closed in any order (a nested run, one beside it in another thread) never
    part, so closing one never leaves its redactor open under another run's values."""
    first = withheld(Redactor([_KNOWN]).redact, [_KNOWN])
    second = withheld(Redactor().redact, ["another-run-secret-value"])
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert held() == ("another-run-secret-value",)
    assert _KNOWN in posted(_KNOWN)
    second.__exit__(None, None, None)
    assert held() == ()
