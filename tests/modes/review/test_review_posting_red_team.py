"""Red team (issue 42, items 2 and 3): text that went live after it was neutralised.

``neutralise`` keeps an indented code block or a code span verbatim, since GitHub renders
nothing inside. Whatever flattened (``" ".join(text.split())``), stripped or cut that text
afterwards turned the code into prose, with its mention, link, image and HTML live:

- the fork-safe hand-off (``review --publish-from``): a summary, a finding's title and body
  from the fork's own artifact, shown in the review body, an inline comment, the check run
  and the summary comment;
- the model's review summary (``decide.merged_summary``), and describe's what and why
  (``describe.model_text``, written into the pull request's body);
- a cut to the summary's limit that drops the closing backtick of a code span.

Every text the run sent to GitHub's mock is read as GitHub renders it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.modes.review.handoff.file import MAX_FINDINGS
from cicd_agent.modes.review.prompt import DescriptionAnswer, ReviewAnswer
from cicd_agent.modes.review.result import SUMMARY_LIMIT
from cicd_agent.runner.rendered import live_in_post
from tests.git_builder import GitRepoBuilder
from tests.helpers.posting import OWN, live_posts, posted_texts
from tests.helpers.review import answer, pull_request_event, run_review
from tests.modes.review.test_review_fork_safe import Project, claim, step_one, step_two, tampered

LIVE = (
    "@acme/security-team [x](https://evil.example/l) ![i](https://evil.example/p.png) "
    "<img src=https://evil.example/q.png>"
)
BLOCK = f"    {LIVE}\n"
"""An indented code block: neutralise keeps it verbatim, a strip or a flattening does not."""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(tmp_path_factory.mktemp("fork-safe") / "repo")


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory, project: Project) -> dict[str, Any]:
    """The result file an untouched step 1 writes, for the attacker to rewrite."""
    code, path = step_one(tmp_path_factory.mktemp("step-one"), project, {})
    assert code == 0
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def test_the_hand_off_posts_its_untrusted_texts_inert(
    tmp_path: Path, github_api: Any, project: Project, honest: dict[str, Any]
) -> None:
    document = tampered(
        honest,
        summary=BLOCK,
        findings=[claim("src/app.py", 30, BLOCK, body=BLOCK), claim("src/app.py", 55, BLOCK)],
    )

    code, _, summary = step_two(tmp_path, github_api, project, document, "--report-on", "low")

    assert code == 0, summary
    where = {place for place, _ in posted_texts(github_api.proxy)}
    assert any(place.endswith("comment") for place in where), "an inline comment was posted"
    assert any(place.endswith("summary") for place in where), "a check run was posted"
    assert live_posts(github_api.proxy) == []


def _review_project(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def compute(x):\n    return x\n"})
    head = repo.commit("faster", {"src/app.py": "def compute(x):\n    return x * 2\n"})
    return repo, base, head


def _model_review(
    tmp_path: Path, github_api: Any, model_server: Any, reply: ReviewAnswer, *extra: str
) -> None:
    repo, base, head = _review_project(tmp_path)
    event = pull_request_event(tmp_path, base, head)
    code, _, summary, _ = run_review(tmp_path, github_api, model_server, repo, event, *extra)
    assert code == 0, summary


def test_the_models_summary_is_posted_inert(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    reply = answer().model_copy(update={"summary": f"Looks fine.\n\n{BLOCK}"})
    model_server.answer(reply, times=None)
    _model_review(tmp_path, github_api, model_server, reply)
    assert "security-team" in "".join(text for _, text in posted_texts(github_api.proxy))
    assert live_posts(github_api.proxy) == []


def test_a_summary_cut_inside_a_code_span_is_posted_inert(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    opening = "Fine. " * ((SUMMARY_LIMIT - 40) // 6)
    reply = answer().model_copy(update={"summary": f"{opening}`{LIVE} {'y' * 400}`"})
    model_server.answer(reply, times=None)
    _model_review(tmp_path, github_api, model_server, reply)
    assert "security-team" in "".join(text for _, text in posted_texts(github_api.proxy))
    assert live_posts(github_api.proxy) == []


def test_describes_what_and_why_are_posted_inert_in_the_body(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    model_server.answer(
        DescriptionAnswer(what=f"Doubles compute().\n\n{BLOCK}", why=BLOCK, groups=[])
    )
    model_server.answer(answer(), times=None)
    _model_review(tmp_path, github_api, model_server, answer(), "--describe")
    places = {place for place, _ in posted_texts(github_api.proxy)}
    assert "PATCH /repos/octocat/Hello-World/pulls/2 body" in places
    assert live_posts(github_api.proxy) == []


# ------------------------------------------------ second attack: every hand-off text, every shape

_SHAPES: dict[str, str] = {
    "fenced block": f"```\n{LIVE}\n```\n",
    "tilde fence left open": f"~~~\n{LIVE}\n",
    "indented block in a nested list": f"- a\n  - b\n\n          {LIVE}\n",
    "code span cut at the title's limit": "t" * 190 + f" `{LIVE}`",
    "table with a pipe in a code span": f"| a | b |\n|---|---|\n| `x | {LIVE}` | c |\n",
    "character references": "&#64;acme/security-team &commat;acme/team &lt;img src=x&gt; "
    "`&#64;acme/x`",
    "zero-width and bidi around a mention": "\u200b@acme/security-team \u202e@acme/team\u202c "
    "x\u200d@acme/ops [l\u200bnk](https://evil.example/z)",
    "autolinks": "<https://evil.example/a> www.evil.example security@evil.example octocat/other#12",
    "reference definition": f"[x]\n\n[x]: https://evil.example/ref\n\n    {LIVE}\n",
    "link walking out of the repository": "[ok](https://github.com/octocat/Hello-World/../../"
    "evil/repo/issues/1) [ok2](https://github.com/octocat/Hello-World/%2e%2e/x)",
    "HTML block with a blank line": f"<details>\n\n{LIVE}\n\n</details>\n",
    "our own tags forged": f"<sub>\n\n    {LIVE}\n</sub><br>",
    "carriage returns": f"a\r    {LIVE}\r\rb",
    "code block cut at the body's limit": "```\n" + "y" * 3990 + f"\n```\n{LIVE}",
}


@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_every_hand_off_text_is_inert_wherever_it_is_posted(
    shape: str, tmp_path: Path, github_api: Any, project: Project, honest: dict[str, Any]
) -> None:
    """Each hostile shape in every text of the artifact (summary, risk reasons, a title and a
    body on a changed line and outside the diff), read where GitHub shows it: the review body,
    the inline comments, the check run, the summary comment, and the job summary."""
    text = _SHAPES[shape]
    document = tampered(
        honest,
        summary=text,
        risk_level="critical",
        risk_reasons=[text, text],
        findings=[
            claim("src/app.py", 30, text, body=text),
            claim("src/app.py", 55, text, body=text),
            claim("src/app.py", 31, text, body=text, severity="low", suggestion=text),
        ],
    )

    code, _, summary = step_two(tmp_path, github_api, project, document, "--report-on", "low")

    assert code == 0, summary
    where = {place for place, _ in posted_texts(github_api.proxy)}
    assert any(place.endswith("comment") for place in where), "an inline comment was posted"
    assert live_posts(github_api.proxy) == []
    assert live_in_post(summary, OWN) == [], "the job summary"


_NAMES = (
    "src/a`b @acme/security-team <img src=https:evil.example>.py",
    "src/c](https:evil.example) [d]: https:evil.example e@evil.example.py",
    "src/f | g ||| h.py",
)


class _HostileNames(Project):
    """The fork's own file names (GitHub lists them as they are): each adds a committed secret
    and a debugger call, so the floor finds them again and names the files everywhere."""

    def __init__(self, root: Path) -> None:
        self.repo = GitRepoBuilder(root)
        self.base = self.repo.commit("base", {"src/app.py": "x = 1\n"})
        self.head = self.repo.commit(
            "names",
            {name: "def run():\n    breakpoint()\n    return 1\n" for name in _NAMES},
        )


def test_hostile_file_names_are_inert_wherever_the_hand_off_names_them(
    tmp_path: Path, github_api: Any
) -> None:
    project = _HostileNames(tmp_path / "repo")
    (tmp_path / "one").mkdir()
    code, path = step_one(tmp_path / "one", project, {})
    assert code == 0
    document = json.loads(path.read_text())
    document["findings"] += [claim(name, 99, f"outside {name}") for name in _NAMES]

    code, _, summary = step_two(tmp_path, github_api, project, document, "--report-on", "low")

    assert code == 0, summary
    texts = "".join(text for _, text in posted_texts(github_api.proxy))
    assert "security-team" in texts and "evil.example" in texts
    assert live_posts(github_api.proxy) == []
    assert live_in_post(summary, OWN) == [], "the job summary"


def test_a_huge_hand_off_is_cut_to_githubs_limits_and_stays_inert(
    tmp_path: Path, github_api: Any, project: Project, honest: dict[str, Any]
) -> None:
    """A thousand claims whose titles and bodies hold code spans and blocks of every length:
    the summary comment, the check run and the review body pass GitHub's limits, so each is
    cut after neutralising (and neutralised again); wherever a cut lands, nothing is live."""
    findings = [
        claim(
            "src/app.py",
            55 + n % 3,
            "t" * (n % 97) + f" `{LIVE}` " + "u" * (n % 13),
            body="v" * (n % 89) + f"\n\n```\n{LIVE}\n" + "w" * (1200 + n % 61) + f"\n```\n{BLOCK}",
            severity=("critical", "high", "medium", "low")[n % 4],
        )
        for n in range(MAX_FINDINGS)
    ]
    document = tampered(honest, summary=BLOCK * 40, findings=findings)

    code, _, summary = step_two(
        tmp_path, github_api, project, document, "--report-on", "low", "--max-findings", "1000"
    )

    assert code == 0, summary
    sent = {place: text for place, text in posted_texts(github_api.proxy)}
    cut = [place for place, text in sent.items() if "(truncated by cicd-agent" in text]
    assert len(cut) >= 3, list(sent)  # the review body, the check run, the summary comment
    assert live_posts(github_api.proxy) == []
    assert live_in_post(summary, OWN) == [], "the job summary"
