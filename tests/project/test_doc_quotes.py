"""Every line a doc quotes from cicd-agent's output is one the code prints.

``docs/local-model.md`` quoted a context-window note that nothing printed. Here the runs the
page describes are made for real (the CLI, the openai SDK, the local model server standing in
for Ollama at ``localhost:11434``), and every quote of five words or more in the page must be
in what they printed.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import ModelServer
from tests.helpers.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "local-model.md"
DOC_SERVER = "http://localhost:11434"
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_QUOTE = re.compile(r"`([^`]+)`")


def quotes(text: str) -> list[str]:
    """The page's quotes of output: code spans of five words or more, outside code blocks,
    with the line breaks of the page's prose undone."""
    prose = " ".join(_FENCE.sub("", text).split())
    return [quote for quote in _QUOTE.findall(prose) if len(quote.split()) >= 5]


def _printed(tmp_path: Path, model_server: ModelServer) -> str:
    """What a developer's terminal shows for the page's set-ups: an unknown model's name, a
    base-url without ``/v1``, then with it and a model the server does not have."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": "x = 1\n"})
    head = repo.commit("Change", {"app.py": "x = 2\n"})
    server = model_server.base_url.removesuffix("/v1")
    model_server.fail(404, message="model 'llama3.1:8b' not found", times=None)
    shown = []
    for base_url in (server, model_server.base_url):
        argv = ["review", "--base-url", base_url, "--model", "llama3.1:8b"]
        argv += ["--repo", str(repo.path), "--base", base, "--head", head]
        argv += ["--sarif-file", str(tmp_path / "review.sarif")]  # not in the shared /tmp
        done = run_cli(argv, tmp_path, {"OPENAI_API_KEY": "ollama"}, on_runner=False)
        assert done.code == 0, done.stderr
        shown.append(" ".join((done.stdout + done.stderr).split()))
    return "\n".join(shown).replace(server, DOC_SERVER)


def test_every_line_the_local_model_page_quotes_is_printed(
    tmp_path: Path, model_server: ModelServer
) -> None:
    found = quotes(DOC.read_text())
    assert len(found) >= 4, found  # the page's quotes are found at all
    printed = _printed(tmp_path, model_server)
    missing = [quote for quote in found if quote not in printed]
    assert not missing, f"quoted in {DOC.name} but never printed: {missing}\n\n{printed}"
