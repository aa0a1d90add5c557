"""What a pull request can make the project's own type checker print, through the
configuration and code it controls: a checker that stopped on an error of its own checked
nothing, and is never read as a clean run."""

from __future__ import annotations

from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.eslint import needs_node_tool
from tests.helpers.sandbox import needs_sandbox

BROKEN = 'export const limit: number = "none";\n'


@needs_sandbox
def test_attack_a_tsconfig_that_gives_tsc_no_inputs_is_not_a_clean_run(tmp_path: Path) -> None:
    """ATTACK: the head's tsconfig.json includes no file, so tsc prints only its own error
    (TS18003, no path) and checks none of the change's code; read as a report with no error,
    review said tsc ran clean on a change that does not type-check."""
    where = needs_node_tool("tsc")
    repo = GitRepoBuilder(tmp_path / "repo")
    config = '{"compilerOptions": {"strict": true, "noEmit": true}, "include": ["src"]}\n'
    base = repo.commit("start", {"tsconfig.json": config, "src/query.ts": "export {};\n"})
    head = repo.commit("narrow", {"tsconfig.json": config.replace('"src"', '"nothing"'),
                                  "src/query.ts": BROKEN})  # fmt: skip
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path), "--base", base,
            "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    (tsc,) = [tool for tool in done.document["tools"] if tool["tool"] == "tsc"]
    assert "tsc stopped on an error of its own" in tsc["could_not_run"], done.document["tools"]
