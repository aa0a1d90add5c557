"""The per-mode documentation cannot drift from the CLI, action.yml or the examples.

Each mode's page (``docs/modes/MODE.md``) must document every option ``cicd-agent MODE
--help`` shows (as ``--option`` or as the input of the same name in its generated table), may
mention no option the mode does not have, must name every ``fail-on`` value the mode accepts and
every permission its job needs (the same table the end-to-end tests enforce on the examples).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

from cicd_agent.plugins import declared_options, installed_modes
from tests.harness.payloads import REPO_ROOT
from tests.harness.token_permissions import step_needs

ROOT = REPO_ROOT
CLI = Path(sys.executable).with_name("cicd-agent")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
OURS = "|".join(map(re.escape, ["cicd-agent", *installed_modes()]))
OTHER_COMMAND = re.compile(rf"`(?!(?:{OURS})(?![\w.:/-]))[a-z][\w.:/-]* [^`\n]*`")
"""A code span that is another program's command line (`node --test`): its options are that
program's, not the mode's; one that starts with ``cicd-agent`` or a mode's name is ours."""
GROUP = re.compile(r"^(\S[^:]*):$")


def section(text: str, heading: str) -> str:
    """The text under ``heading`` (e.g. ``### review``) up to the next heading of its level."""
    level = heading.split()[0]
    start = text.index(f"\n{heading}\n")
    following = re.search(rf"\n{level} ", text[start + len(heading) + 1 :])
    end = start + len(heading) + 1 + following.start() if following else len(text)
    return text[start:end]


@cache
def page(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


@cache
def help_text(mode: str) -> str:
    """What the real console script's ``MODE --help`` prints."""
    return subprocess.run(
        [str(CLI), mode, "--help"], capture_output=True, text=True, check=True, timeout=60
    ).stdout


@cache
def help_groups(mode: str) -> dict[str, set[str]]:
    """Option group title → options, as the real console script's ``--help`` prints them."""
    shown = help_text(mode)
    groups: dict[str, set[str]] = {}
    current = None
    for line in shown.splitlines():
        title = GROUP.match(line)
        if title and not line.startswith("usage"):
            current = groups.setdefault(title.group(1), set())
        elif current is not None:
            # "  --base BASE   base commit …": the option itself, not options its help mentions.
            current.update(
                OPTION.findall(line.strip().split("  ")[0] if line.startswith("  --") else "")
            )
    for options in groups.values():
        options.discard("--help")
    return groups


def mode_section(mode: str) -> str:
    """A mode's page and its sub-pages (``deploy-gate-canary.md``)."""
    found = sorted((ROOT / "docs" / "modes").glob(f"{mode}-*.md"))
    return "\n".join([page(f"docs/modes/{mode}.md"), *(path.read_text() for path in found)])


@pytest.mark.parametrize("mode", list(installed_modes()))
def test_every_option_of_a_mode_is_documented_in_its_section(mode: str) -> None:
    groups = dict(help_groups(mode))
    common = groups.pop("common options")
    own = set().union(*groups.values())
    assert own, f"no {mode} options found in --help: {sorted(groups)}"
    text = mode_section(mode)
    undocumented = sorted(
        option for option in own if f"`{option}" not in text and f"`{option[2:]}`" not in text
    )
    assert undocumented == [], f"docs/modes/{mode}.md does not document {undocumented}"
    command_line = page("docs/command-line.md")
    assert sorted(o for o in common if o not in command_line) == []


USAGE_ITEM = re.compile(r"\[(-[^\[\]]+)\]")


@pytest.mark.parametrize("mode", list(installed_modes()))
def test_the_synopsis_of_each_mode_matches_its_help(mode: str) -> None:
    """docs/command-line.md's synopsis block: each mode's own options, as ``--help``'s usage
    line gives them (``--base``, ``--head``, ``--logs`` and the rest), in its order."""
    usage = " ".join(help_text(mode).split("\n\n")[0].split())
    common = help_groups(mode)["common options"] | {"-h"}
    own = [item for item in USAGE_ITEM.findall(usage) if item.split()[0] not in common]
    block = page("docs/command-line.md").split("<!-- BEGIN synopsis -->")[1].split("<!-- END")[0]
    entries = re.split(r"\n(?=cicd-agent )", block.strip().strip("`").strip())
    entry = next(e for e in entries if e.startswith(f"cicd-agent {mode} [common options]"))
    documented = USAGE_ITEM.findall(" ".join(entry.split()))
    assert documented == own, f"docs/command-line.md's synopsis of {mode}: {documented} != {own}"


def mentioned_options(text: str) -> set[str]:
    """The options ``text`` mentions, but those of another program's command line."""
    return set(OPTION.findall(OTHER_COMMAND.sub("", text)))


def test_attack_an_option_after_a_modes_own_name_is_the_modes() -> None:
    """A span that starts with a mode's name (`deploy-gate --phase canary`) is that mode's
    command line, not another program's: a misspelt option there is still caught."""
    for mode in installed_modes():
        assert mentioned_options(f"as `{mode} --no-such-option x` runs") == {"--no-such-option"}
    assert mentioned_options("`node --test`") == set()


@pytest.mark.parametrize("mode", list(installed_modes()))
def test_a_mode_section_mentions_only_options_the_mode_has(mode: str) -> None:
    groups = help_groups(mode)
    # an option given after ``--`` (test-step's command) is its input of the same name
    trailing = {f"--{o.name}" for o in declared_options(mode) if o.trailing}
    known = set().union(*groups.values(), trailing)
    text = mode_section(mode)
    assert sorted(mentioned_options(text) - known) == []
    tables = re.findall(r"<!-- BEGIN inputs:[^>]+ -->\n(.*?)<!-- END", text, re.DOTALL)
    inputs = {
        f"--{name}" for table in tables for name in re.findall(r"^\| `([\w-]+)` \|", table, re.M)
    }
    assert inputs, f"docs/modes/{mode}.md has no generated inputs table"
    assert sorted(inputs - known) == [], "action.yml gives these inputs the wrong mode prefix"


@pytest.mark.parametrize("mode", list(installed_modes()))
def test_a_mode_section_names_its_fail_on_values_and_permissions(mode: str) -> None:
    text = mode_section(mode)
    for value in installed_modes()[mode].arguments().FAIL_ON_CHOICES:
        documented = f"`{value}`" in text or f"`fail-on: {value}`" in text
        assert documented, f"{mode}: fail-on value {value!r} is not documented"
    permissions = re.search(r"\*\*Permissions:\*\*(.*?)(?=\n- \*\*|\n\n)", text, re.DOTALL)
    assert permissions, f"{mode}: no **Permissions:** entry"
    for scope, level in {"contents": "read", **step_needs(mode, {})}.items():
        assert f"`{scope}: {level}`" in permissions.group(1), f"{mode}: {scope}: {level}"


def test_the_changelog_has_an_entry_for_the_packaged_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    unreleased = section(changelog, "## [Unreleased]")
    released = re.search(
        rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M
    )
    assert released or f"v{version}" in unreleased, f"CHANGELOG.md has no entry for {version}"
    assert f"`v{version}`" in page("docs/versioning.md")  # tests/test_versions.py: more


def test_the_documented_deploy_policy_is_the_default_policy() -> None:
    from cicd_agent.modes.deploy_gate.policy import Policy

    rows = re.findall(r"^\| `(\w+)` \| `(.+?)` \|", mode_section("deploy-gate"), re.M)
    default = Policy().model_dump(mode="json")
    documented = {key: json.loads(value) for key, value in rows if key in default}
    assert documented == default


def test_the_documented_canary_config_example_loads() -> None:
    from cicd_agent.modes.deploy_gate.canary.config import load_canary_config

    example = re.search(r"```yaml\n(.*?)```", mode_section("deploy-gate"), re.DOTALL)
    assert example, "the canary section has no canary-config example"
    config = load_canary_config(example.group(1))
    assert [metric.name for metric in config.metrics] == ["error_rate", "latency_p99", "queue_depth"]
    latency = config.metrics[1]
    assert (latency.objective_max, latency.previous_offset) == (0.3, 86400.0)
