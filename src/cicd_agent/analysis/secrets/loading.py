"""Loading the rule set: our shapes, gitleaks' rules and detect-secrets' patterns (generated
at dev time into ``data/``), indexed by keyword for one Aho-Corasick pass."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import ahocorasick_rs

from cicd_agent.analysis.secrets.rule import Allow, Rule
from cicd_agent.analysis.secrets.shapes import OWN_RULES

_REPLACED_UPSTREAM = frozenset({"generic-api-key", "BasicAuthDetector.0"})
"""Upstream rules left out because one of ours does their job: gitleaks' generic-api-key
(``_ASSIGNED`` is faster), detect-secrets' URL password (``_URL_PASSWORD`` takes any password
but a stand-in, and no image digest such as ``docker://alpine:3.19@sha256:…``)."""
_LEADING_NAME = "(?i)[\\w.-]{0,50}?"
"""gitleaks' semi-generic rules start with this lazy prefix; it only widens the match to the
left of the keyword and costs a 50-step attempt at every character, so it is dropped."""
_LEADING_NAMES = "[\\w.-]{0,50}?(?i:[\\w.-]{0,50}?"
"""Five start with two: 2,500 splits at every character of a run of word characters, each trying
the keyword (minutes on a long run). Both go, and the keyword starts the match: the leftmost
match with them was at the leftmost keyword that succeeds, so the secrets found are the same."""
_REACHES = {"curl-auth-header": r"\bcurl\b[^\r\n]*", "curl-auth-user": r"\bcurl\b[^\r\n]*"}
"""gitleaks' rules that run from their keyword to the end of the line and five more
(``\bcurl\b(?:.*?|.*?(?:[\r\n]{1,2}.*?){1,5})[ \t\n\r](?:-u|…``): every match starts at the
keyword, and a later ``curl`` on the line reaches only places the first reached, so where the
first fails they are not tried (:attr:`Rule.reach`; each ``curl`` of a line of them scanned to
its end, quadratic)."""
_ANY_BUT_A_BREAK = r"[^\r\n]"
"""In those two rules ``.`` becomes this. Python's (and Go's) ``.`` takes ``\r``, which the
rules also count as a line break (``[\r\n]{1,2}``): ``curl`` and 50 carriage returns could be
split so many ways that each further one doubles the search. Go's regexp
is linear whatever the pattern; Python's is not, so here a break is never also a character."""


def _upstream_regex(rule_id: str, regex: str) -> str:
    """gitleaks' pattern, made cheap for Python's backtracking engine (the same matches
    wherever a carriage return ends a line, as it does in CRLF text)."""
    if regex.startswith(_LEADING_NAME):
        return "(?i)" + regex[len(_LEADING_NAME) :]
    if regex.startswith(_LEADING_NAMES):
        return "(?i:" + regex[len(_LEADING_NAMES) :]
    if rule_id in _REACHES:
        return regex.replace(".*", _ANY_BUT_A_BREAK + "*")
    return regex


def _allow(raw: Mapping[str, Any]) -> Allow:
    return Allow(
        both=raw.get("condition") == "AND",
        target=raw.get("target", "secret"),
        regexes=tuple(re.compile(r) for r in raw.get("regexes", ())),
        stopwords=tuple(raw.get("stopwords", ())),
        paths=tuple(re.compile(p) for p in raw.get("paths", ())),
    )


@dataclass(frozen=True)
class _RuleSet:
    rules: tuple[Rule, ...]
    always: tuple[int, ...]
    """Rules without keywords, tried on every text (all redaction-only)."""
    by_keyword: tuple[tuple[int, ...], ...]
    automaton: ahocorasick_rs.AhoCorasick
    allow: Allow
    longest: int


@cache
def rule_set() -> _RuleSet:
    data = _data("secret_rules.json")
    rules = list(OWN_RULES)
    for raw in data["rules"]:
        if raw["id"] in _REPLACED_UPSTREAM:
            continue
        rules.append(
            Rule(
                raw["id"],
                _upstream_regex(raw["id"], raw["regex"]),
                tuple(raw["keywords"]),
                group=raw["secret_group"],
                entropy=raw["entropy"],
                path=re.compile(raw["path"]) if raw["path"] else None,
                allows=tuple(_allow(a) for a in raw["allowlists"]),
                anchored=raw["id"] in _REACHES,
                reach=_REACHES.get(raw["id"], ""),
            )
        )
    detect_secrets = _data("detect_secrets_rules.json")
    rules += [
        Rule(
            raw["kind"],
            raw["regex"],
            tuple(k.lower() for k in raw["keywords"]),
            cased=tuple(raw["keywords"]) if not raw["regex"].startswith("(?mi") else (),
            group="secret",
            redaction_only=True,
            gate=raw["gate"],
        )
        for raw in detect_secrets["rules"]
        if raw["id"] not in _REPLACED_UPSTREAM
    ]
    keywords = sorted({k for rule in rules for k in rule.keywords})
    index = {k: i for i, k in enumerate(keywords)}
    by_keyword: list[list[int]] = [[] for _ in keywords]
    for number, rule in enumerate(rules):
        for keyword in rule.keywords:
            by_keyword[index[keyword]].append(number)
    glob = data["global_allowlist"]
    return _RuleSet(
        tuple(rules),
        tuple(number for number, rule in enumerate(rules) if not rule.keywords),
        tuple(tuple(r) for r in by_keyword),
        # A DFA: built in a millisecond, it reads a 5 MB diff's added text in 13 ms where the
        # default (a contiguous NFA for this many keywords) took 21 ms; the matches are the same.
        ahocorasick_rs.AhoCorasick(keywords, implementation=ahocorasick_rs.Implementation.DFA),
        _allow({"regexes": glob["regexes"], "stopwords": glob["stopwords"]}),
        max(map(len, keywords), default=0),
    )


def _data(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        resources.files("cicd_agent").joinpath(f"data/{name}").read_text("utf-8")
    )
    return loaded
