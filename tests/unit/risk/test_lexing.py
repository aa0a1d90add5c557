"""What-runs reads Pygments' lexers with joined rules: the tokens must be Pygments' own, token
for token, for every lexer it drives, on code and on text no lexer expects."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pygments.lexer import Lexer
from pygments.lexers import PythonLexer, find_lexer_class_by_name

from cicd_agent.risk import lexing

ROOT = Path(__file__).resolve().parents[3]
_ALPHABET = "abcXYZ019_ \t\n\r\"'`#/*<>{}[]()$@\\;:=.,-+!?%&|^~é中\ufeff"


def _junk(seed: int, size: int) -> str:
    rnd = random.Random(seed)
    return "".join(rnd.choice(_ALPHABET) for _ in range(size))


def _texts() -> list[str]:
    own = [
        (ROOT / "src/cicd_agent/risk/runs.py").read_text("utf-8")[:6000],
        (ROOT / "docs/plugins.md").read_text("utf-8")[:3000],
        (ROOT / "action.yml").read_text("utf-8")[:3000],
    ]
    return [*own, "\ufeffx = 1\r\ny = '''\r\n", _junk(1, 1500), _junk(2, 1500)]


_LANGUAGES = ("python", "javascript", "typescript", "jsx", "java", "c", "cpp", "csharp", "go",
              "rust", "ruby", "php", "kotlin", "scala", "swift", "bash", "powershell", "batch",
              "yaml", "json", "toml", "ini", "html", "xml", "css", "scss", "sql", "markdown",
              "rst", "docker", "make", "cmake", "terraform", "lua", "perl", "haskell", "elixir",
              "erlang", "clojure", "groovy", "objective-c", "dart", "r", "julia", "nginx", "diff",
              "vim", "protobuf", "graphql", "nix", "zig", "ocaml", "fsharp")  # fmt: skip
"""The languages of most pull requests, and lexers with every kind of rule (groups, nested
lexers, pushed, popped and combined states, flags, Unicode classes)."""


def _lexers() -> list[Lexer]:
    found = []
    for alias in _LANGUAGES:
        kind = find_lexer_class_by_name(alias)
        lexer = kind(stripnl=False, ensurenl=False)
        if lexing._drivable(lexer):
            found.append(lexer)
    return found


@pytest.mark.parametrize(
    "text", _texts(), ids=["python", "markdown", "yaml", "crlf", "junk", "junk2"]
)
def test_every_driven_lexer_gives_pygments_own_tokens(text: str) -> None:
    lexers = _lexers()
    differ = [
        lexer.name
        for lexer in lexers
        if list(lexing.tokens(lexer, text)) != list(lexer.get_tokens(text))
    ]
    assert len(lexers) > 35 and differ == []


def test_a_lexer_with_its_own_loop_is_read_by_pygments() -> None:
    kind = find_lexer_class_by_name("xquery")  # an ExtendedRegexLexer, with its own loop
    assert kind is not None
    lexer = kind()
    assert not lexing._drivable(lexer)
    text = "let $x := 1 return $x\n"
    assert list(lexing.tokens(lexer, text)) == list(kind().get_tokens(text))


def test_pythons_root_state_is_a_few_calls_not_one_per_rule() -> None:
    """The work a token costs: Python's root state has 56 rules; joined, a token is found in
    at most four ``match`` calls (the run of joinable rules, then the long ones alone)."""
    lexer = PythonLexer()
    rules = lexer._tokens["root"]
    steps = lexing.table(lexer)["root"]
    assert len(rules) > 50 and len(steps) <= 4
    assert sum(places is not None for _, places, _ in steps) >= 1
