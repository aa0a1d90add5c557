"""Vendor token formats: each rule redacts a real-looking key of its vendor's
documented shape, and leaves alone an ordinary line that holds its prefix."""

from __future__ import annotations

import random
import string
import sys

import pytest

from cicd_agent.analysis.redact import Redactor, find_secrets
from tests.helpers.bounded import run_bounded

_RNG = random.Random(42)
ALNUM = string.ascii_letters + string.digits
LOWER = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"


def _run(alphabet: str, size: int) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(size))


def _uuid(alphabet: str = HEX) -> str:
    return "-".join(_run(alphabet, n) for n in (8, 4, 4, 4, 12))


# (vendor, key, an ordinary line holding the prefix that must stay as it is)
CASES = [
    ("Atlassian", "ATATT3xFfGF0" + _run(ALNUM + "_-", 170), "ATATT3xFfG is the prefix"),
    ("Bitbucket app", "ATBB" + _run(ALNUM, 28), "ATBB = 'ATBB'  # an app password"),
    ("Bitbucket DC", "BBDC-" + _run(ALNUM + "+/", 44), "see BBDC-tokens in the admin guide"),
    ("AppSync", "da2-" + _run(LOWER, 26), "var da2-config = load()"),
    (
        "Microsoft refresh",
        "1.A" + _run(ALNUM + "_-", 60) + ".AgAB" + _run(ALNUM + "_-", 80),
        "version 1.Alpha.2 released",
    ),
    ("HubSpot", "pat-na1-" + _uuid(), "pat-na1-region is the default"),
    ("Vault", "hvs." + _run(ALNUM + "_-", 90), "hvs.token_ttl = 3600"),
    ("New Relic user", "NRAK-" + _run(string.ascii_uppercase + string.digits, 27), "NRAK-XXXX"),
    ("New Relic license", _run(HEX, 36) + "NRAL", "set NRAL to your license"),
    ("PubNub", "sub-c-" + _uuid(), "sub-c-config section"),
    ("Salesforce", "3MVG9" + _run(ALNUM + ".", 80), "3MVG9 marks a consumer key"),
    ("SendGrid", "SG." + _run(ALNUM + "_-", 22) + "." + _run(ALNUM + "_-", 43), "SG.dialog.open()"),
    ("Sentry", "sntrys_" + _run(ALNUM, 120), "sntrys_ tokens belong to an org"),
    ("Square", "EAAA" + _run(ALNUM + "-_", 60), "EAAA is Square's prefix"),
    ("Typeform", "tfp_" + _run(ALNUM + "_", 44), "tfp_ marks a personal token"),
    ("xAI", "xai-" + _run(ALNUM, 80), "xai-sdk>=1.0"),
    ("CircleCI", "CCIPAT_" + _run(ALNUM, 22) + "_" + _run(HEX, 40), "CCIPAT_ tokens expire"),
    ("Contentful", "CFPAT-" + _run(ALNUM + "_-", 43), "CFPAT-based auth"),
    ("Fly.io", "FlyV1 fm2_" + _run(ALNUM + "+/=,", 200), "FlyV1 fm2_ starts a token"),
    ("LaunchDarkly", "api-" + _uuid(), "see api-reference/index.md"),
    (
        "Power Automate",
        "https://prod-12.westus.environment.api.powerplatform.com:443/powerautomate/automations"
        "/direct/workflows/" + _run(HEX, 32) + "/triggers/manual/paths/invoke?api-version=1"
        "&sig=" + _run(ALNUM + "_-", 43),
        "https://learn.microsoft.com/power-automate/overview",
    ),
    (
        "App Configuration",
        "Endpoint=https://shop.azconfig.io;Id=" + _run(ALNUM, 12) + ";Secret="
        + _run(ALNUM + "+/", 44),
        "Endpoint=https://shop.azconfig.io",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("vendor", "key", "ordinary"), CASES, ids=[c[0] for c in CASES])
def test_a_vendor_key_is_redacted_and_an_ordinary_line_stays(
    vendor: str, key: str, ordinary: str
) -> None:
    for text in (key, f"  config: {key}\n", f'client = Client("{key}")'):
        redacted = Redactor().redact(text)
        assert key[-16:] not in redacted, (vendor, redacted)
        assert "[REDACTED:" in redacted
    assert Redactor().redact(ordinary) == ordinary


@pytest.mark.parametrize(
    "key",
    ["hvb." + "a" * 60, "pat-na1-00000000-0000-0000-0000-000000000000", "ATBB" + "x" * 28],
)
def test_a_vendor_prefix_with_filler_is_redacted_but_not_a_finding(key: str) -> None:
    """The prefix says whose credential goes there; what follows may be a placeholder.
    Redacting it is harmless, reporting it would be noise."""
    assert key not in Redactor().redact(f"token: {key}")
    assert find_secrets(f"token: {key}") == []


@pytest.mark.parametrize(
    "unit",
    [
        "1.A" + "b" * 39 + ".",  # a refresh token's sections, never long enough
        "3MVG9",
        "https://a.b.c.d.e.environment.api.x/",
        "FlyV1 fm2_",
        "x" * 30 + "FFFFNRAL ",
        "Endpoint=https://a.azconfig.io;Id=",
    ],
)
def test_a_line_of_vendor_prefixes_does_not_stall_redaction(unit: str) -> None:
    """Each vendor rule starts at its prefix and has no nested repeat: a 64 KB line of one
    prefix repeated is one pass (a stall would hit the 15 s limit, as the stall tests of the
    modes do)."""
    line = unit * (64_000 // len(unit))
    script = (
        "import sys\n"
        "from cicd_agent.analysis.redact import Redactor\n"
        "print(len(Redactor().redact(sys.stdin.read())))\n"
    )
    done = run_bounded([sys.executable, "-c", script], input=line)
    assert done.returncode == 0, done.stderr[-2000:]
