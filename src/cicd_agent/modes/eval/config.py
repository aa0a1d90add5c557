"""A promptfoo config read as the team wrote it: prompts × providers × tests, each test's vars
(with ``defaultTest``'s under them) and asserts, made into the cases one side asks.

What the config may choose is a prompt, the variables, the asserts and a model's name with a
few sampling settings. Where a request goes and with which key is the action's (its inputs, the
base branch's settings), never the config's: the settings that would route the key elsewhere
(``apiBaseUrl``, ``apiKey``...) are ignored and said, and a provider that is not a plain model
(``exec:``, ``python:``, a ``file://`` module, a webhook) is an error on each of its cases, as
is a prompt or a variable that is code. Nothing the config names is run.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from collections.abc import Iterator, Mapping
from itertools import product
from typing import Any

import yaml

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.bounded_yaml import (
    YamlLimitError,
)
from cicd_agent.analysis.bounded_yaml import (
    load_text as load_yaml,
)
from cicd_agent.analysis.bounded_yaml import (
    one_line as yaml_problem,
)
from cicd_agent.modes.eval.cases import Case, Prompt, Provider, Suite, chat
from cicd_agent.modes.eval.checks import finite, read_checks
from cicd_agent.modes.eval.source import Commit, Unreadable, inside
from cicd_agent.modes.eval.template import render

MAX_CASES = 5_000
MAX_FILES = 1_000
"""Distinct files one config may name (each is two git calls)."""
MAX_FILES_CHARS = 16 * 1024 * 1024
"""Characters of all the files one config names, held while its cases are made (each file
alone is under a megabyte, and a thousand of them compress to little in git)."""
MAX_NAME = 200
"""Characters of a test's description or a prompt's or provider's label: each is repeated in
the key of every case it is part of and in every note about it."""
SAMPLING = (
    "temperature",
    "max_tokens",
    "top_p",
    "seed",
    "stop",
    "presence_penalty",
    "frequency_penalty",
)
"""The provider settings passed on: how to sample, never where to send."""
ROUTING = re.compile(r"api|url|host|key|header|org|project|proxy|endpoint|region|env", re.I)
CODE_SUFFIXES = (".js", ".cjs", ".mjs", ".ts", ".py", ".sh", ".rb", ".go")
CHAT_PROVIDER = re.compile(r"openai:(?:chat:)?(?P<model>[^:\s]+)")
TESTS_ITEM = re.compile(r"^(?P<indent>\s*)-(\s|$)")


def parse_yaml(text: str, path: str) -> object:
    """The file's YAML as JSON's values (:func:`plain`): what a case's key and request hold."""
    try:
        return plain(load_yaml(text))
    except YamlLimitError as error:
        raise UsageError(f"{path} was not read: {error}.") from None
    except yaml.YAMLError as error:
        raise UsageError(f"{yaml_problem(error, path)} (not valid YAML).") from None


def plain(value: object) -> object:
    """``value`` as JSON's values, as promptfoo reads YAML into JavaScript's: a date or time
    as its ISO text, bytes (``!!binary``) as text, a set (``!!set``) as the sorted list of its
    members, a mapping's keys as text, and a number that is not finite as none."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(item) for item in value), key=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float):
        return value
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


def named(value: object) -> str:
    """A name the config gives, cut to :data:`MAX_NAME` where it is read."""
    return str(value)[:MAX_NAME]


def listed(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def file_name(value: object) -> str | None:
    return (
        value[len("file://") :] if isinstance(value, str) and value.startswith("file://") else None
    )


class Reader:
    """Reads one side's config and the files it names from that side's commit."""

    def __init__(self, commit: Commit, path: str, model: str | None) -> None:
        self.commit = commit
        self.path = path
        self.folder = posixpath.dirname(path)
        self.model = model
        self.notes: list[str] = []
        self.files: dict[str, str] = {}
        self.held = 0
        self.documents: dict[str, tuple[list[Any], list[int]]] = {}

    def read(self, name: str) -> str:
        """A file the config names, read once however often it is named."""
        path = inside(self.folder, name)
        if path not in self.files:
            if len(self.files) >= MAX_FILES:
                raise Unreadable(f"the config names over {MAX_FILES:,} files; {path} was not read")
            text = self.commit.read(path)
            if self.held + len(text) > MAX_FILES_CHARS:
                raise Unreadable(
                    f"the files the config names are over {MAX_FILES_CHARS >> 20}M "
                    f"characters in all; {path} was not read"
                )
            self.held += len(text)
            self.files[path] = text
        return self.files[path]

    def parsed(self, text: str, path: str) -> tuple[list[Any], list[int]]:
        """A tests file's tests and their lines, read once however often the config names it
        (a name repeated 20,000 times was as many reads and parses)."""
        if path not in self.documents:
            tests = listed(parse_yaml(text, path))
            self.documents[path] = tests, item_lines(text, len(tests), None)
        return self.documents[path]

    def suite(self) -> Suite:
        try:
            text = self.commit.read(self.path)
        except Unreadable as why:
            raise UsageError(f"the eval config was not read: {why}.") from None
        document = parse_yaml(text, self.path)
        if not isinstance(document, dict):
            raise UsageError(f"{self.path} is not a promptfoo config (a mapping).")
        for unread in ("scenarios", "derivedMetrics", "extensions", "nunjucksFilters"):
            if unread in document:
                raise UsageError(
                    f"{self.path} uses {unread}, which the eval mode does not read.",
                    hint="Keep prompts, providers, tests and defaultTest.",
                )
        for ignored in ("env", "outputPath", "sharing", "commandLineOptions", "evaluateOptions"):
            if ignored in document:
                self.notes.append(
                    f"{self.path}: {ignored} is ignored (the run's settings, "
                    "endpoint and key are the action's)"
                )
        prompts = list(self.prompts(listed(document.get("prompts"))))
        providers = list(self.providers(listed(document.get("providers", document.get("targets")))))
        if not prompts or not providers:
            raise UsageError(f"{self.path} names no prompts or no providers.")
        default = document.get("defaultTest") or {}
        if not isinstance(default, dict):
            raise UsageError(f"{self.path}: defaultTest is not a mapping.")
        cases = list(self.cases(document, prompts, providers, default, text))
        return Suite(self.path, tuple(cases), tuple(dict.fromkeys(self.notes)))

    def prompts(self, items: list[Any]) -> Iterator[Prompt]:
        for index, entry in enumerate(items, 1):
            label, item = f"prompt {index}", entry
            if isinstance(item, dict):
                label = named(item.get("label") or label)
                item = item.get("raw", item.get("id"))
            name = file_name(item)
            if name is None:
                yield Prompt(
                    label,
                    str(item) if isinstance(item, str) else "",
                    "" if isinstance(item, str) else "the prompt is not text",
                )
                continue
            if name.endswith(CODE_SUFFIXES) or ":" in name or "*" in name:
                yield Prompt(
                    label,
                    "",
                    f"the prompt file://{name} is code or a pattern; "
                    "only text and chat JSON prompts are read",
                )
                continue
            try:
                text = self.read(name)
            except Unreadable as why:
                yield Prompt(label, "", str(why))
                continue
            parts = re.split(r"\n-{3,}\n", text) if name.endswith(".txt") else [text]
            for part_index, part in enumerate(parts, 1):
                yield Prompt(label if len(parts) == 1 else f"{label}.{part_index}", part)

    def providers(self, items: list[Any]) -> Iterator[Provider]:
        for index, entry in enumerate(items, 1):
            settings: dict[str, Any] = {}
            item = entry
            if isinstance(item, dict):
                label = named(item.get("label") or item.get("id") or f"provider {index}")
                settings = item.get("config") or {}
                item = item.get("id")
            else:
                label = named(item)
            found = CHAT_PROVIDER.fullmatch(item) if isinstance(item, str) else None
            if found is None or not isinstance(settings, dict):
                yield Provider(
                    label,
                    "",
                    error=f"provider {str(item)[:80]!r} is not a plain "
                    "openai:MODEL; the eval mode asks only the action's model "
                    "endpoint and runs nothing the config names",
                )
                continue
            options = []
            for key, value in settings.items():
                name = str(key)
                if name in SAMPLING:
                    options.append((name, value))
                else:
                    said = (
                        "routes the request or its key" if ROUTING.search(name) else "is not read"
                    )
                    self.notes.append(
                        f"{self.path}: provider {label} sets {name}, which {said}: ignored "
                        "(the endpoint and key come from the action's settings)"
                    )
            yield Provider(label, self.model or found["model"], tuple(sorted(options)))

    def tests(self, document: Mapping[str, Any], text: str) -> Iterator[tuple[Any, str, int]]:
        """Each test with its file and line."""
        lines = item_lines(text, len(listed(document.get("tests"))))
        for index, item in enumerate(listed(document.get("tests"))):
            name = file_name(item)
            if name is None:
                yield item, self.path, lines[index]
                continue
            try:
                path = inside(self.folder, name)
                text_there = self.read(name)
            except Unreadable as why:
                raise UsageError(f"{self.path}: tests {name!r} were not read: {why}.") from None
            subs, lines_there = self.parsed(text_there, path)
            yield from ((sub, path, line) for sub, line in zip(subs, lines_there, strict=True))

    def cases(
        self,
        document: Mapping[str, Any],
        prompts: list[Prompt],
        providers: list[Provider],
        default: Mapping[str, Any],
        text: str,
    ) -> Iterator[Case]:
        seen: dict[str, int] = {}
        count = 0
        for test, path, line in self.tests(document, text):
            if not isinstance(test, dict):
                raise UsageError(f"{path}:{line}: a test is not a mapping.")
            for unread in ("provider", "options"):
                if unread in test:
                    self.notes.append(
                        f"{path}:{line}: the test's {unread} is ignored "
                        "(models and graders come from the action's settings)"
                    )
            for vars_, error in self.expanded(default.get("vars"), test.get("vars")):
                name = named(test.get("description") or json.dumps(vars_, sort_keys=True))
                for prompt, provider in product(prompts, providers):
                    key = " · ".join(
                        [str(name)]
                        + [prompt.key] * (len(prompts) > 1)
                        + [provider.key] * (len(providers) > 1)
                    )
                    seen[key] = seen.get(key, 0) + 1
                    key += f" #{seen[key]}" if seen[key] > 1 else ""
                    count += 1
                    if count > MAX_CASES:
                        raise UsageError(f"{self.path} makes over {MAX_CASES:,} cases.")
                    yield self.case(
                        key,
                        (path, line),
                        prompt,
                        provider,
                        test=test,
                        default=default,
                        vars_=vars_,
                        error=error,
                    )

    def expanded(self, default: object, given: object) -> Iterator[tuple[dict[str, Any], str]]:
        """The test's variables over ``defaultTest``'s, ``file://`` ones read, one set for each
        combination of the values a list-valued variable takes (as promptfoo expands them)."""
        merged = {
            **(default if isinstance(default, dict) else {}),
            **(given if isinstance(given, dict) else {}),
        }
        error = ""
        read: dict[str, list[Any]] = {}
        for name, value in merged.items():
            values = value if isinstance(value, list) else [value]
            read[str(name)] = []
            for one in values:
                found = file_name(one)
                if found is None:
                    read[str(name)].append(one)
                    continue
                if found.endswith(CODE_SUFFIXES):
                    error = f"the variable {name} is code (file://{found}), which is not run"
                    read[str(name)].append("")
                    continue
                try:
                    read[str(name)].append(self.read(found))
                except Unreadable as why:
                    error = f"the variable {name} was not read: {why}"
                    read[str(name)].append("")
        names = list(read)
        for combination in product(*(read[name] or [""] for name in names)):
            yield dict(zip(names, combination, strict=True)), error

    def case(
        self,
        key: str,
        where: tuple[str, int],
        prompt: Prompt,
        provider: Provider,
        *,
        test: Mapping[str, Any],
        default: Mapping[str, Any],
        vars_: Mapping[str, Any],
        error: str,
    ) -> Case:
        asserts = listed(default.get("assert")) + listed(test.get("assert"))
        checks, check_error = read_checks(asserts, vars_)
        threshold = test.get("threshold")
        messages: tuple[tuple[str, str], ...] = ()
        problem = error or prompt.error or provider.error
        if not problem:
            try:
                messages = chat(render(prompt.text, vars_))
            except ValueError as why:
                problem = str(why)
        return Case(
            key,
            where,
            model=provider.model,
            messages=messages,
            options=provider.options,
            checks=checks,
            threshold=finite(threshold),
            error=problem,
            judge_error=check_error,
            prompt=prompt.text,
            variables=vars_,
        )


def item_lines(text: str, count: int, key: str | None = "tests") -> list[int]:
    """The line of each of the ``count`` items of the top-level ``key:`` list (``key`` None: the
    document is the list), read from the text in block style; where the text is not laid out so
    (flow style, anchors), every item gets the list's own line."""
    lines = text.splitlines()
    start = 0
    if key is not None:
        found = [i for i, line in enumerate(lines) if re.match(rf"{key}\s*:", line)]
        start = found[0] + 1 if found else 0
    items: list[int] = []
    indent: str | None = None
    for number, line in enumerate(lines[start:], start + 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if key is not None and not line[0].isspace() and not line.startswith("-"):
            break
        item = TESTS_ITEM.match(line)
        if item and (indent is None or item["indent"] == indent):
            indent = item["indent"]
            items.append(number)
    return items if len(items) == count else [max(start, 1)] * count
