"""Code that names a value where a secret goes, read apart from a password written the same
way: Go's sigils before a variable or a type, Ruby's instance variables, package names."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.secrets.code_names import code_name, code_reference, qualified_name


@pytest.mark.parametrize(
    ("value", "after"),
    [
        ("&config.BasicAuth", "{"),
        ("&OAuthConfig", "{"),
        ("*clientSecret", ","),
        ("@user.token", ","),
        ("@original_min_cost", ""),
        ("@SECRET_KEY", ""),
    ],
)
def test_a_sigil_before_a_name_is_code(value: str, after: str) -> None:
    assert code_reference(value, after)


@pytest.mark.parametrize(
    ("value", "after"),
    [
        ("@SuperSecret", ""),
        ("*ProdDbSecret", ","),
        ("@Hunter.Two", ""),
        ("&correct_horse_battery", ""),
        ("*OAuthConfig", "{"),
        ("@Summer2024", ""),
    ],
)
def test_a_sigil_before_a_password_is_no_code(value: str, after: str) -> None:
    assert not code_reference(value, after)


def test_names_of_words_are_told_from_random_parts() -> None:
    assert code_name("token1_header") and not code_name("hx7_tq9_wz2k4")
    assert qualified_name("storage.AppenderV2AsLimitedV1")
    assert not qualified_name("acme.Zq8KdQxLmZrTvWcYpHsBnJa")
