"""A possible bug's claim rests on a call we run on the head, not on the model's word.

A failing candidate's claim (the call it checks and the value it expects) is read from its own
text and its runner's report: a candidate that fails whatever the code does (it shadows the
function it names) named a true contract as broken. The claimed call is now run by us, alone, in
a fresh copy of the head without the candidate, and a possible bug stands only where that run
does not give the contract's value. Only a plain call of a name the candidate imported, with
literal arguments, is run; anything else is no possible bug. The runs themselves (the attack and
a real possible bug) are in test_gen_tests_gate.py, on its shop bench.
"""

from __future__ import annotations

import pytest

from cicd_agent.modes.gen_tests.claim_run import python_module
from cicd_agent.modes.gen_tests.contract_check import Claim

SHOP = ("shop.pricing", "coupon_value")
"""The changed code's module and function: a claim runs only a name of them (or a re-export)."""
IMPORTS = "import humps\nfrom shop.pricing import coupon_value as value\nfrom . import near\n"


@pytest.mark.parametrize(("written", "expected", "module"), [
    ('humps.camelize("jack_in_the_box")', "'jackInTheBox'",
     "import humps\n\n\ndef test_claim():\n    assert humps.camelize('jack_in_the_box') != 'jackInTheBox'\n"),
    ("value('SAVE20', strict=True)", "20",
     "from shop.pricing import coupon_value as value\n\n\ndef test_claim():\n"
     "    assert value('SAVE20', strict=True) != 20\n"),
    # refused: a name, a call, a star in the arguments; a value no literal; a root the candidate
    # did not import (its own function: the attack), or imported relatively
    ("value(code)", "20", None),
    ("value(open('x').read())", "20", None),
    ("value(*['x'])", "20", None),
    ("value('x')", "value('y')", None),
    ("coupon_value('SAVE10')", "10", None),
    ("near.f(1)", "1", None),
    ("value('x').y", "1", None),
    ("value('x') or 1", "1", None),
])  # fmt: skip
def test_only_a_plain_call_of_an_imported_name_with_literal_arguments_is_run(
    written: str, expected: str, module: str | None
) -> None:
    claim = Claim("ignored", "ignored", written=written, written_value=expected)
    code = ("humps.main", "camelize") if written.startswith("humps") else SHOP
    candidate = IMPORTS + "\n\ndef coupon_value(code):\n    return 11\n"
    assert python_module(claim, candidate, *code) == module


@pytest.mark.parametrize(
    ("written", "expected"),
    [(f"value(0x{'f' * 5_000})", "20"), ("value('SAVE20')", f"0x{'f' * 5_000}")],
)
def test_attack_an_int_too_long_to_write_in_decimal_is_no_claim_not_a_crash(
    written: str, expected: str
) -> None:
    """Attack: a hex literal of 5,000 digits parses and is a literal, but Python
    refuses to write it in decimal (ValueError), which escaped and ended the mode."""
    claim = Claim("ignored", "ignored", written=written, written_value=expected)
    assert python_module(claim, IMPORTS, *SHOP) is None


def test_attack_a_same_named_function_of_another_module_is_no_claim_on_the_code() -> None:
    """Attack: a claim was run on any imported function of its name (``shlex.quote``
    for the code's ``quote``, a legacy module's twin), so a true contract of the changed code
    was reported broken; only a name of the changed module (or its package's re-export of
    the changed function) is run."""
    candidate = "from shlex import quote\nfrom shop import legacy\n"
    for written, expected in (("quote('a b')", "'a%20b'"), ("legacy.coupon_value('SAVE20')", "20")):
        claim = Claim("ignored", "ignored", written=written, written_value=expected)
        assert python_module(claim, candidate, *SHOP) is None
