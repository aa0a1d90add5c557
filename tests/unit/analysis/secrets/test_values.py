"""Whether a value found in a secret's place is one: code, names, placeholders, stand-ins and
documentation examples are not; a random token is. The examples are the ones each rule's
docstring names."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.secrets.values import (
    entropy,
    example_credential,
    identifier,
    not_a_word,
    placeholder,
    plausible_secret,
    random_token,
    stand_in,
)

TOKEN = "q8ZrT3vLx9KpW2mN7bYc4HdF"


def test_entropy_is_shannons_in_bits_per_character() -> None:
    assert entropy("") == 0
    assert entropy("aaaa") == 0
    assert entropy("abab") == 1
    assert entropy("abcd") == 2


@pytest.mark.parametrize(
    "value", ["$PASS", "$2", "${PASS}", "${{ secrets.X }}", "$(cat f)", "%s", "%PASSWORD%",
              "<token>", "{password}", "***", "[secure]", "[REDACTED:GitHub token]"],
)  # fmt: skip
def test_variables_templates_and_masks_stand_in_for_a_credential(value: str) -> None:
    assert stand_in(value)


@pytest.mark.parametrize("value", ["hunter2x", TOKEN, "p4ss$", "admin"])
def test_a_literal_value_stands_in_for_nothing(value: str) -> None:
    assert not stand_in(value)


@pytest.mark.parametrize(
    "value", ["get_token(s)", "${{ secrets.X }}", "PASSWORD", "AuthType", "authenticated_index",
              "AUTH_CLIENT_SECRET", "changeme", "your_key_here", "<token>"],
)  # fmt: skip
def test_code_names_and_placeholders_are_not_plausible_secrets(value: str) -> None:
    assert not plausible_secret(value)


@pytest.mark.parametrize("value", [TOKEN, "p@55-W0rd!x", "tkn.v1_" + TOKEN])
def test_random_looking_values_are_plausible_secrets(value: str) -> None:
    assert plausible_secret(value)


def test_a_filler_value_counts_only_when_placeholders_are_taken() -> None:
    filler = "abcd1234abcd1234abcd1234"
    assert not plausible_secret(filler)
    assert plausible_secret(filler, placeholders=True)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("AdapterAuthenticator", True),
        ("refresh_token_expires", True),
        ("OAuth2PasswordRequestForm", True),
        ("swagger_ui_init_oauth", True),
        ("qZxKpWmNbYcHdF", False),
        ("", False),
    ],
)
def test_identifiers_read_as_words_random_letters_do_not(value: str, named: bool) -> None:
    assert identifier(value) is named


@pytest.mark.parametrize(
    ("value", "user", "example"),
    [
        ("tiger", "scott", True),
        ("pass", "user", True),
        ("password1", "Username", True),
        ("password", "root", False),
        ("guest", "guest", False),
        ("testtoken", None, True),
        ("fake-token", None, True),
        ("notabase64token", None, True),
        ("dXNlcm5hbWU6cGFzc3dvcmQ=", None, True),  # username:password
        ("cm9vdDpwYXNzd29yZA==", None, False),  # root:password
        ("abc", None, False),
    ],
)
def test_documentation_examples_are_told_from_real_accounts(
    value: str, user: str | None, example: bool
) -> None:
    assert example_credential(value, user) is example


@pytest.mark.parametrize(
    ("value", "random"),
    [(TOKEN, True), ("manylinux2014", False), ("test_parse_config_2", False),
     ("abcdefghijklmnopqrstuvwx", False), ("1234567890123456789", False)],
)  # fmt: skip
def test_a_random_token_holds_a_long_random_run_of_letters_and_digits(
    value: str, random: bool
) -> None:
    assert random_token(value) is random


@pytest.mark.parametrize(
    ("value", "filler"),
    [
        ("AKIAZZZZZZZZZZZZZZZZ", True),
        ("glc_1111111111111111", True),
        ("abcd1234abcd1234abcd1234", True),
        ("abcdefghijklmnop", True),
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("xxxxxxxx", True),
        ("1234567", False),  # too short for its pattern to say anything
        (TOKEN, False),
    ],
)
def test_placeholders_are_marked_or_too_regular_to_be_generated(value: str, filler: bool) -> None:
    assert placeholder(value) is filler


def test_a_credential_after_an_unknown_scheme_is_not_one_word() -> None:
    assert not not_a_word("required")
    assert not_a_word(TOKEN)
