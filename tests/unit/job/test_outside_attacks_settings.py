"""An outsider's attacks on the settings file's newest parts: the quarantine a pull request would
like to read from its own head, the values a comment's nested run inherits (``Given.stated``),
and the rule that says which option and variable names hold a secret."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cicd_agent import plugins
from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.masking import is_secret_name
from cicd_agent.job.context import given_secrets
from cicd_agent.job.flags import Option
from cicd_agent.job.options import Given, read_value
from cicd_agent.job.repo_config import (
    CONFIG_PATH,
    MAX_QUARANTINED,
    MAX_TEST_ID,
    QuarantineEntry,
    parse,
    quarantine_at,
    section_keys,
)
from cicd_agent.job.resolve import resolve_run
from cicd_agent.plugins import ModePlugin, installed_modes, plugin, plugin_sections
from tests.git_builder import GitRepoBuilder

DAY = date(2026, 11, 26)


def _entry(test: str, owner: str = "@octo", expires: str = "2026-12-31") -> str:
    return f"  - test: {test!r}\n    owner: '{owner}'\n    expires: {expires}\n"


BASE = "analyse-failure:\n  quarantine:\n" + _entry("tests/test_api.py::test_retry")
OWN = _entry("tests/test_new.py::test_broken", "@mallory")
"""The pull request's own failing test, which it would like excused."""

HEAD_SPELLINGS = {
    "the keeper itself": "analyse-failure:\n  quarantine:\n" + OWN,
    "the keeper in capitals": "Analyse-Failure:\n  quarantine:\n" + OWN,
    "a unicode hyphen": "analyse\u2010failure:\n  quarantine:\n" + OWN,
    "a non-breaking hyphen": "analyse\u2011failure:\n  quarantine:\n" + OWN,
    "a merge key": "x: &q\n  quarantine:\n  - {test: 'tests/test_new.py::test_broken', "
    "owner: '@mallory', expires: 2026-12-31}\nanalyse-failure:\n  <<: *q\n",
    "a tag": "!!str analyse-failure:\n  quarantine:\n" + OWN,
    "a second keeper section": BASE + "analyse-failure:\n  quarantine:\n" + OWN,
    "the review section": "review:\n  quarantine:\n" + OWN,
    "a bomb": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n",
}


@pytest.mark.parametrize("head_text", HEAD_SPELLINGS.values(), ids=HEAD_SPELLINGS.keys())
def test_attack_a_quarantine_in_the_head_is_never_read_however_it_is_spelt(
    tmp_path: Path, head_text: str
) -> None:
    """The head's file is the pull request's: whatever section it dresses as the keeper (case,
    a Unicode hyphen, a merge key, a tag, the keeper twice), and even a file that would be
    refused outright, the quarantine is the base's and the base's alone."""
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {CONFIG_PATH: BASE})
    builder.commit(
        "head", {CONFIG_PATH: head_text, "tests/test_new.py": "def test_broken(): 0/0\n"}
    )

    assert quarantine_at(builder.path, base, DAY) == (
        QuarantineEntry("tests/test_api.py::test_retry", "octo", date(2026, 12, 31)),
    )


@pytest.mark.parametrize(
    "section",
    ["Analyse-Failure", "analyse\u2010failure", "analyse_failure", "analyse-failures"],
)
def test_a_base_section_dressed_as_the_keeper_is_refused_not_half_read(
    tmp_path: Path, section: str
) -> None:
    """A near-miss of the keeper's name at the base is a typo the run names (exit 2), never a
    section silently read as the keeper nor silently skipped."""
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {CONFIG_PATH: f"{section}:\n  quarantine:\n" + OWN})

    with pytest.raises(UsageError, match="did you mean 'analyse-failure'"):
        quarantine_at(builder.path, base, DAY)


@pytest.mark.parametrize(
    "test_id",
    ["tests/*", "tests/test_a.py::test_?", "tests/test_a.py::test_x\x1b[31m",
     "tests/test_a.py::test_\u202ex", "tests/test_a.py::a\nb", "tests/test_a.py::\u200bx",
     "x" * (MAX_TEST_ID + 1), ""],
    ids=["star", "question", "escape", "bidi", "newline", "zero-width", "too-long", "empty"],
)  # fmt: skip
def test_a_test_id_that_could_match_more_than_itself_is_refused(test_id: str) -> None:
    """An entry matches one test exactly: a glob, a control, format or direction character, an
    empty or overlong id is refused whole (exit 2), never read as a pattern or a blank."""
    text = "analyse-failure:\n  quarantine:\n" + _entry(test_id).replace(
        repr(test_id), _quoted(test_id)
    )
    with pytest.raises(UsageError, match="test must be one test id"):
        parse(text, "analyse-failure", DAY)


def _quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (escapes for every character YAML would refuse)."""
    return json.dumps(text)


def test_a_huge_list_is_refused_whole(tmp_path: Path) -> None:
    entries = "".join(_entry(f"tests/test_a.py::test_{n}") for n in range(MAX_QUARANTINED + 1))
    with pytest.raises(UsageError, match=f"at most {MAX_QUARANTINED} entries"):
        parse("analyse-failure:\n  quarantine:\n" + entries, "analyse-failure", DAY)


@pytest.mark.parametrize(
    ("expires", "refused"),
    [("2026-02-30", "cannot be read"), ("'2026-13-01'", "expires must be a date"),
     ("2026-12-01T00:00:00Z", "expires must be a date"), ("20261201", "expires must be a date"),
     ("2099-01-01", "more than 366 days away"), ("!!binary MjAyNi0xMi0wMQ==", "expires must be")],
)  # fmt: skip
def test_a_bad_expiry_is_exit_2_not_a_crash(expires: str, refused: str) -> None:
    """An impossible date (YAML's own date constructor raises ValueError), a time, a number,
    bytes: one usage error naming the fix, never exit 3."""
    text = "analyse-failure:\n  quarantine:\n" + _entry("a::b", expires=expires)
    with pytest.raises(UsageError, match=refused):
        parse(text, "analyse-failure", DAY)


@pytest.fixture
def flakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, frozenset[str]]:
    """Another distribution's mode ``flakes`` that keeps a quarantine, installed for the test."""
    package = tmp_path / "site" / "cicd_agent_flakes_attack"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "arguments.py").write_text(
        "FAIL_ON_CHOICES = ('none',)\nOPTIONS = ()\nKEEPS_QUARANTINE = True\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    mode = ModePlugin("flakes", "cicd_agent_flakes_attack", "keeps flaky tests", "options:build")
    monkeypatch.setattr(plugins._INSTALLED, "_modes", {**installed_modes(), "flakes": mode})
    return plugin_sections()


def test_two_keepers_listing_one_test_the_first_decides_even_when_it_has_expired(
    tmp_path: Path, flakes: dict[str, frozenset[str]]
) -> None:
    """Two sections list the same test with different owners and expiries: the test is listed
    once, as the first keeper lists it. An expired first entry is kept as it is, so a second,
    live one cannot extend it (the judge excuses only a live entry)."""
    builder = GitRepoBuilder(tmp_path / "repo")
    text = ("analyse-failure:\n  quarantine:\n" + _entry("a::b", "@first", "2026-11-01")
            + "flakes:\n  quarantine:\n" + _entry("a::b", "@second", "2026-12-20"))  # fmt: skip
    base = builder.commit("base", {CONFIG_PATH: text})

    assert quarantine_at(builder.path, base, DAY, flakes) == (
        QuarantineEntry("a::b", "first", date(2026, 11, 1)),
    )


def test_a_plugin_keepers_section_in_the_head_is_not_read_either(
    tmp_path: Path, flakes: dict[str, frozenset[str]]
) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {CONFIG_PATH: "review:\n  fail-on: high\n"})
    builder.commit("head", {CONFIG_PATH: "flakes:\n  quarantine:\n" + OWN})

    assert quarantine_at(builder.path, base, DAY, flakes) == ()


# ------------------------------------------------------------- what a nested run is handed


def test_stated_holds_the_flags_and_inputs_never_the_settings_nor_an_empty_input(
    tmp_path: Path,
) -> None:
    """``Given.stated()`` is what a comment's nested run is handed: the step's flags and the
    workflow's inputs only. The settings file's values (the base's ``dry-run: true``) and the
    empty inputs the runner hands over for every input the workflow left out are not stated,
    so they cannot outrank the nested mode's own section."""
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit(
        "base", {CONFIG_PATH: "review:\n  dry-run: true\n  provider: none\n  fail-on: high\n"}
    )
    builder.commit("head", {CONFIG_PATH: "review:\n  dry-run: false\n  provider: openai\n"})
    environ = {"INPUT_DRY-RUN": "", "INPUT_PROVIDER": "  ", "INPUT_MODEL": "m-1"}
    run = resolve_run(
        "review", plugin("review").arguments(), {"repo": builder.path, "base": base}, environ
    )

    assert run.given.flag("dry_run") is True and run.given.text("provider") == "none"
    stated = run.given.stated()
    assert stated == {"repo": builder.path, "base": base, "model": "m-1"}


def test_stated_is_empty_for_a_given_that_names_nothing() -> None:
    given = Given({"dry_run": True, "provider": "openai"})
    assert given.stated() == {}
    assert Given({"dry_run": True}, stated=["dry_run", "ghost"]).stated() == {"dry_run": True}


# ------------------------------------------------------------------- the secret-name rule

HELD = ["X_PASSWD", "PRIVATEKEY", "client-secret", "SESSION_COOKIE_VALUE", "DB_PASS",
        "AWS_SECRET_ACCESS_KEY", "SSH_PRIVATE_KEY", "pass-word", "to\u200bken"]  # fmt: skip
"""Names the rule already read as secrets."""
SLIPPED = ["GPG_PASSPHRASE", "passphrase", "DEPLOY_KEY", "SSH_KEY", "ENCRYPTION_KEY",
           "MASTER_KEY", "PRIV_KEY", "PRIVKEY", "DB_CREDS", "GH_PAT",
           "AZURE_STORAGE_CONNECTION_STRING", "connection-string",
           "\uff34\uff2f\uff2b\uff25\uff2e", "p\u0430ssword", "\u0422OKEN"]  # fmt: skip
"""Names that hold a secret by any reader's account which the rule let through: a
passphrase, a key named ``*_KEY``, credentials as ``CREDS``, a personal access token as
``PAT``, a connection string (Azure's holds the account key), and names written in
full-width or Cyrillic look-alike letters."""
NOT_SECRET = ["KEYBOARD_LAYOUT", "PATH", "BYPASS_CACHE", "PWD", "COMPASS_HOME", "PATCH_LEVEL",
              "MONKEY", "TURKEY_TIME", "KEYS_SORTED", "context-tokens", "INPUT_TOKEN-BUDGET",
              "secret-env", "HOME", "PATHEXT", "CREDSTASH_TABLE_NAME"]  # fmt: skip


@pytest.mark.parametrize("name", HELD + SLIPPED)
def test_attack_a_secret_holding_name_is_read_as_a_secret(name: str) -> None:
    assert is_secret_name(name), name


@pytest.mark.parametrize("name", NOT_SECRET)
def test_ordinary_names_are_still_no_secrets(name: str) -> None:
    assert not is_secret_name(name), name


@pytest.mark.parametrize("name", ["gpg-passphrase", "deploy-key", "db-creds", "connection-string"])
def test_attack_a_plugins_secret_option_is_no_key_of_its_settings_section(name: str) -> None:
    """A mode of another distribution declares a secret option and forgets ``setting=False``:
    the settings section still refuses it, so a committed file cannot carry the secret."""
    keys = section_keys([Option(name, "a secret", setting=True), Option("greeting", "hi")])
    assert name not in keys and "greeting" in keys


@pytest.mark.parametrize("name", ["gpg-passphrase", "deploy-key"])
def test_attack_a_secret_options_mistyped_value_is_never_echoed_and_is_redacted(name: str) -> None:
    """The value of such an option, mistyped, stays out of the error a summary shows, and the
    run's redactor knows it."""
    value = "pa55-Phrase-9f3kQ2"
    option = Option(name, "a secret", kind=int)
    with pytest.raises(UsageError) as refused:
        read_value(option, value, f"input {name!r}")
    assert value not in str(refused.value) and "not shown" in str(refused.value)
    assert given_secrets(Given({option.dest: value})) == [value]


@pytest.mark.parametrize("commit", ["f" * 40, "--output=/tmp/x", "HEAD:nothing", ""])
def test_a_trusted_commit_the_checkout_lacks_excuses_nothing_and_stops_nothing(
    tmp_path: Path, commit: str
) -> None:
    """A base commit a shallow checkout never fetched, or a name git would read as an option:
    no quarantine (nothing excused), no error that stops the step."""
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit("head", {CONFIG_PATH: BASE})

    assert quarantine_at(builder.path, commit or None, DAY) == ()
