"""Posting is typed: mypy --strict rejects a plain ``str`` at every poster (GitHub, the job
summary, Slack), including text that was neutralised and then flattened, stripped or cut.
The GitHub client's writers are found by inspecting it: every public
method whose calls reach the client's private senders (``_send``, ``_guarded``) is a writer,
takes no ``Mapping`` body and no text but :class:`Neutral` or a typed value built from GitHub's
answers, and each of its neutral parameters is handed raw text in the mypy check."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

import pytest

from tests.harness.payloads import REPO_ROOT
from tests.helpers.typing_toys import TOY_GROUP, ToyReport

SRC = REPO_ROOT / "src"
GITHUB = SRC / "cicd_agent" / "github"
SENDERS = frozenset({"_send", "_guarded"})
"""The client's private senders: the only way a request that writes leaves it."""
NAMES = frozenset(
    {"sha", "head_sha", "base_sha", "commit_sha", "branch", "base", "head", "key", "name", "login"}
)
"""Plain ``str`` parameters a writer may take: names of things on GitHub, not posted text."""
RAW = ("Mapping", "dict", "Any", "object")
"""Annotations that would let any body through."""


def _package() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text(encoding="utf-8")) for path in GITHUB.glob("*.py")}


def _client(tree: ast.Module) -> ast.ClassDef:
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "GitHubClient")


class _Calls:
    """Which functions of the github package reach a private sender, following calls made
    by name: ``self.m()`` in the client, ``module.f(...)`` and ``f(...)`` (imported or local)."""

    def __init__(self, modules: dict[str, ast.Module], client: ast.ClassDef) -> None:
        self.modules = modules
        self.methods = {
            n.name: n for n in client.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.memo: dict[tuple[str, str], bool] = {}
        # A module's function bound in the class body (``trust = read_trust``) is a method too.
        aliases, names = self._imports("client")
        self.bound: dict[str, tuple[str, str]] = {}
        for node in client.body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                value, target = node.value, node.targets[0].id
                if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
                    if value.value.id in aliases:
                        self.bound[target] = (aliases[value.value.id], value.attr)
                elif isinstance(value, ast.Name) and value.id in names:
                    self.bound[target] = names[value.id]

    def _function(self, module: str, name: str) -> ast.AST | None:
        if module == "client" and name in self.methods:
            return self.methods[name]
        tree = self.modules.get(module)
        if tree is None:
            return None
        return next(
            (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None
        )

    def _imports(self, module: str) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
        """Module aliases (``pulls``) and imported functions (``read_trust``) of ``module``."""
        aliases: dict[str, str] = {}
        names: dict[str, tuple[str, str]] = {}
        for node in ast.walk(self.modules[module]):
            if isinstance(node, ast.ImportFrom) and node.module == "cicd_agent.github":
                aliases.update({a.asname or a.name: a.name for a in node.names})
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "cicd_agent.github."
            ):
                source = (node.module or "").rsplit(".", 1)[1]
                names.update({a.asname or a.name: (source, a.name) for a in node.names})
        return aliases, names

    def _callees(self, module: str, function: ast.AST) -> Iterator[tuple[str, str]]:
        aliases, names = self._imports(module)
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                owner = func.value.id
                if owner == "self":
                    yield "client", func.attr
                elif owner in aliases:
                    yield aliases[owner], func.attr
            elif isinstance(func, ast.Name):
                yield names.get(func.id, (module, func.id))

    def writes(self, module: str, name: str) -> bool:
        if module == "client" and name in self.bound:
            return self.writes(*self.bound[name])
        key = (module, name)
        if key not in self.memo:
            self.memo[key] = False  # a cycle adds nothing
            function = self._function(module, name)
            self.memo[key] = function is not None and (
                any(
                    isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute)
                    and n.func.attr in SENDERS
                    for n in ast.walk(function)
                )
                or any(self.writes(*callee) for callee in self._callees(module, function))
            )
        return self.memo[key]


def writers(modules: dict[str, ast.Module]) -> dict[str, ast.FunctionDef]:
    """The client's public methods that write, found by following their calls."""
    client = _client(modules["client"])
    calls = _Calls(modules, client)
    found = {
        name: method
        for name, method in calls.methods.items()
        if not name.startswith("_") and isinstance(method, ast.FunctionDef)
        if calls.writes("client", name)
    }
    for name, (module, function) in calls.bound.items():
        bound = calls._function(module, function)
        public = not name.startswith("_") and isinstance(bound, ast.FunctionDef)
        if public and isinstance(bound, ast.FunctionDef) and calls.writes(module, function):
            found[name] = bound  # its first parameter is the client, as ``self`` is
    return found


def untyped(method: ast.FunctionDef) -> list[str]:
    """The parameters of a writer that would let untyped text or a raw body through."""
    arguments = method.args
    found = []
    for argument in [*arguments.args, *arguments.kwonlyargs][1:]:
        annotation = ast.unparse(argument.annotation) if argument.annotation else "Any"
        parts = set(re.findall(r"\w+", annotation))
        if parts & set(RAW) or ("str" in parts and argument.arg not in NAMES):
            found.append(f"{method.name}({argument.arg}: {annotation})")
    return found


def test_the_client_has_no_public_raw_writer() -> None:
    from cicd_agent.github.client import GitHubClient

    assert not hasattr(GitHubClient, "write") and not hasattr(GitHubClient, "write_call")
    public = [n for n in _client(_package()["client"]).body if isinstance(n, ast.FunctionDef)]
    raw = [
        f"{m.name}({a.arg})"
        for m in public
        if not m.name.startswith("_")
        for a in [*m.args.args, *m.args.kwonlyargs]
        if a.annotation is not None and "Mapping" in ast.unparse(a.annotation)
    ]
    assert raw == []


def test_a_pull_body_is_built_only_from_githubs_answer() -> None:
    """ATTACK: the pull request body the client writes back is "a typed value built from
    GitHub's answer", but any caller could build one around a model's raw words
    (``PullBody(1, model_text, section)``) and ``edit_pull_body`` would post them: mentions,
    HTML, links. Only the read (``client.pull_body``) may make one."""
    from cicd_agent.actions.markdown import posted
    from cicd_agent.github.pulls import PullBody

    with pytest.raises(TypeError, match="read from GitHub"):
        PullBody(1, "@org/everyone <img src=https://evil.example/x>", posted("ours"))


def test_every_writer_of_the_client_takes_only_typed_text() -> None:
    found = writers(_package())
    # the ones every mode relies on are among them (the search follows calls into modules)
    assert {"post_review", "upsert_issue_comment", "edit_pull_body", "react"} <= set(found)
    assert {"create_draft_pull", "commit_files", "upsert_commit_comment"} <= set(found)
    assert not {"get_pull_request", "trust", "can_write"} & set(found)  # reads are not writers
    assert [bad for method in found.values() for bad in untyped(method)] == []


@pytest.mark.parametrize(
    "method",
    [
        "def post_note(self, number: int, body: str) -> None:\n"
        "    self._send('x', 'POST', 'p', {'body': body}, status='created')",
        "def put(self, body: Mapping[str, Any]) -> None:\n"
        "    comments.upsert_commit_comment(self, 'sha', 'key', body)",
        "def edit(self, number: int, text: str | None) -> None:\n    self.react(1, number, 'x')",
    ],
)
def test_a_new_public_writer_taking_text_or_a_mapping_is_caught(method: str) -> None:
    """The inspection finds a writer however it reaches a sender, and refuses its raw text."""
    modules = _package()
    client = _client(modules["client"])
    added = ast.parse(method).body[0]
    assert isinstance(added, ast.FunctionDef)
    client.body.append(added)
    found = writers(modules)
    assert added.name in found
    assert untyped(found[added.name]) != []


def test_a_writer_bound_from_its_module_is_a_writer_too() -> None:
    """The client binds its reads from their modules (``get_pull_request =
    pulls.get_pull_request``): a writer bound the same way, with a raw text parameter, must
    not slip past the inspection, which once read only the methods written out with ``def``."""
    modules = _package()
    client = _client(modules["client"])
    writer = ast.parse("def post_raw(client, number: int, body: str) -> None:\n"
                       "    client._send('x', 'POST', 'p', {'body': body}, status='created')")
    modules["pulls"].body.extend(writer.body)
    client.body.append(ast.parse("post_raw = pulls.post_raw").body[0])
    found = writers(modules)
    assert "post_raw" in found and untyped(found["post_raw"]) == ["post_raw(body: str)"]
    assert {"get_pull_request", "trust", "can_write", "workflow_run"} <= set(
        _Calls(modules, client).bound
    )  # the reads are seen, and (the test above) none of them is a writer


def _calls_of_writers() -> str:
    """One call per writer of the client, the text under test at each of its Neutral
    parameters and anything elsewhere: mypy must reject each such text that is not neutral."""
    lines = []
    for name, method in sorted(writers(_package()).items()):
        given = [
            f"{a.arg}=text" if ast.unparse(a.annotation or ast.Name("Any")) == "Neutral"
            else f"{a.arg}=anything"
            for a in [*method.args.args, *method.args.kwonlyargs][1:]
        ]  # fmt: skip
        lines.append(f"    client.{name}({', '.join(given)})")
    return "\n".join(lines)


def _neutral_parameters() -> int:
    return sum(
        ast.unparse(a.annotation or ast.Name("Any")) == "Neutral"
        for method in writers(_package()).values()
        for a in [*method.args.args, *method.args.kwonlyargs]
    )


MODULE = """
from __future__ import annotations

from typing import Any

from cicd_agent.github.checks import publish_check_run
from cicd_agent.github.client import GitHubClient
from cicd_agent.github.comments import upsert_issue_comment, upsert_thread_reply
from cicd_agent.github.models import ReviewComment
from cicd_agent.github.pulls import create_draft_pull, create_review
from cicd_agent.modes.review.publish import write_to_body
from cicd_agent.actions.notify import post_message, slack_text
from cicd_agent.actions.markdown import neutralise, posted
from cicd_agent.actions.runner_io import RunnerIO


def post(client: GitHubClient, runner: RunnerIO, model_text: str, anything: Any) -> None:
    text = TEXT
    create_review(client, 1, body=text, comments=[ReviewComment("a.py", 1, text)])
    publish_check_run(client, name="n", head_sha="0" * 40, title=text, summary=text,
                      conclusion="success", text=text)
    upsert_issue_comment(client, 1, "key", text)
    upsert_thread_reply(client, 1, 2, "key", text)
    write_to_body(client, 1, text, [])
    create_draft_pull(client, base="main", head="fix", title=text, body=text)
    client.pull_body(1, text, [])
    runner.write_summary(text)
    post_message("https://hooks.example/x", SLACK)
    # every writer of the client, as the inspection finds them
CLIENT_CALLS
"""
POSTERS = 13
"""Texts handed to a poster in ``MODULE`` besides the client's writers: each is one error
when the text is not neutral."""


TEXTS = {
    "neutral": ("posted(model_text)", "slack_text(model_text)"),
    "raw": ("model_text", "model_text"),
    "flattened": ('" ".join(neutralise(model_text).split())', "slack_text(model_text).strip()"),
    "stripped": ("neutralise(model_text).strip()", "slack_text(model_text).strip()"),
    "cut": ("posted(model_text)[:100]", "slack_text(model_text)[:100]"),
}
"""One toy module per entry: the text handed to the GitHub posters, and to Slack."""


def toy_modules() -> dict[str, str]:
    """The source of each toy poster module, for the one mypy run of ``conftest.toy_mypy``."""
    source = MODULE.replace("CLIENT_CALLS", _calls_of_writers())
    return {
        name: source.replace("TEXT", text).replace("SLACK", slack)
        for name, (text, slack) in TEXTS.items()
    }


@pytest.mark.slow
@TOY_GROUP
def test_only_neutral_text_reaches_a_poster(toy_mypy: ToyReport) -> None:
    report = toy_mypy.report
    assert toy_mypy.strays() == [], report
    for name in TEXTS:
        expected = POSTERS + _neutral_parameters()
        assert len(toy_mypy.errors(name)) == (0 if name == "neutral" else expected), (name, report)
    errors = toy_mypy.errors(*TEXTS)
    assert all(re.search('expected "(Neutral|SlackText)', line) for line in errors), report


# PyGithub's calls that post text GitHub renders as Markdown (a body, a title, a summary).
_PYGITHUB_POSTS = frozenset(
    {"create_pull", "create_issue", "create_comment", "create_issue_comment", "create_review",
     "create_review_comment", "create_check_run", "edit"}
)  # fmt: skip


def test_every_pygithub_post_goes_through_the_typed_facade() -> None:
    """Found by a red team: analyse-failure's fix opened its draft pull request with
    ``repo.create_pull(body=str)`` in the mode, past every typed poster. PyGithub's posting
    calls are made only in ``cicd_agent.github``, whose functions take :class:`Neutral` text."""
    facade = SRC / "cicd_agent" / "github"
    outside = [
        f"{path.relative_to(SRC)}:{node.lineno} {node.func.attr}"
        for path in sorted((SRC / "cicd_agent").rglob("*.py"))
        if facade not in path.parents
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _PYGITHUB_POSTS
    ]
    assert outside == []
