"""Secrets of every common shape are found and redacted; code and placeholders are left alone."""

from __future__ import annotations

import json
import re

import pytest

from cicd_agent.analysis.redact import Redactor, find_secrets, known_secrets_from_env

PLANTED = {
    "GitHub token": "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "fine-grained GitHub token": "github_pat_11ABCDEFG0" + "Qm7vT2xLp9RkW4sZ8nB3cY6dF1gH5jK0aE" * 2,
    "AWS access key id": "AKIAQ7RT2LXW9KDM4ZPB",
    "OpenAI key": "sk-proj-Qm7vT2xLp9RkW4sZ8nB3cY6dF1gH5jK0aE",
    "Slack token": "xoxb-583920174625-Tq8wLm3Rz7Kc",
    "Google API key": "AIzaSyD4v7Qp2Lx9Rk3Wm8Tn1Bz6Yc5Fh0Gj2Ks",
    "Stripe key": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "JSON web token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ",
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_shaped_secrets_are_redacted(kind: str) -> None:
    secret = PLANTED[kind]
    text = f"log line before\nusing {secret} now\n"
    redacted = Redactor().redact(text)
    assert secret not in redacted
    assert "[REDACTED:" in redacted
    assert redacted.startswith("log line before\nusing ")


def test_private_key_block_is_redacted_whole() -> None:
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\nAAAA\n-----END OPENSSH PRIVATE KEY-----"
    redacted = Redactor().redact(f"key:\n{key}\nafter")
    assert "b3BlbnNzaC1rZXktdjEA" not in redacted
    assert redacted.endswith("after")


def test_env_style_assignments_and_urls() -> None:
    redacted = Redactor().redact("DB_PASSWORD=hunter2hunter2\nurl=postgres://app:s3cretpw@db/x")
    assert "hunter2hunter2" not in redacted
    assert "s3cretpw" not in redacted
    assert "postgres://app:" in redacted


def test_code_and_placeholders_are_not_secrets() -> None:
    text = "token = get_token(session)\napi_key: ${{ secrets.API_KEY }}\npassword = os.environ.get"
    assert Redactor().redact(text) == text
    assert find_secrets(text) == []


def test_known_values_are_redacted_whatever_their_shape() -> None:
    environ = {
        "GITHUB_TOKEN": "plain-looking-value-42",
        "CICD_AGENT_INPUTS": json.dumps({"openai-api-key": "another-odd-value", "model": "gpt"}),
        "PATH": "/usr/bin",
    }
    redactor = Redactor(known_secrets_from_env(environ))
    text = "a plain-looking-value-42 b another-odd-value c gpt /usr/bin"
    assert redactor.redact(text) == (
        "a [REDACTED:known secret] b [REDACTED:known secret] c gpt /usr/bin"
    )


def test_find_secrets_reports_kind_and_span() -> None:
    text = f"x = 1\naws = {PLANTED['AWS access key id']}"
    hits = find_secrets(text)
    assert len(hits) == 1
    assert text[hits[0].start : hits[0].end] == PLANTED["AWS access key id"]


def test_author_fields_are_not_secrets_but_auth_values_are() -> None:
    redactor = Redactor()
    assert redactor.redact("author=alice@example.com authors: bob-and-carol") == (
        "author=alice@example.com authors: bob-and-carol"
    )
    assert "s3cr3t-value-123" not in redactor.redact("AUTH_HEADER=s3cr3t-value-123")


def test_a_token_glued_to_the_text_before_it_is_still_redacted() -> None:
    token = PLANTED["GitHub token"]
    assert token not in Redactor().redact(f"https://x-access-{token}@github.com xxx{token}")


def test_a_secret_named_path_or_flag_is_not_redacted_everywhere() -> None:
    """TIKTOKEN_CACHE_DIR contains TOKEN, but its value is a directory: hiding it (and, as a
    fragment, every path that starts the same) would blind the log analysis."""
    environ = {
        "TIKTOKEN_CACHE_DIR": "/home/runner/.cache/tiktoken",
        "TOKENIZERS_PARALLELISM": "false",
        "MYSECRET": "k9-Vq2-Lm7-Xr4",
        "DB_PASS": "Tr0ub4dor&3x",
        "MAX_TOKENS_PER_CALL": "120000",
    }
    assert sorted(known_secrets_from_env(environ)) == ["Tr0ub4dor&3x", "k9-Vq2-Lm7-Xr4"]


# ------------------------------------------------------------- copies of a secret the run holds
RUN_TOKEN = "ghs_" + "Kq8Vx2Lm9Rt4Wz7Nb3Yc6Pd1Fg5Hj0Ts8Ua2Xe"
ODD_SECRET = "Opaque/value+with=symbols&more-2026"


@pytest.mark.parametrize("secret", [RUN_TOKEN, ODD_SECRET])
@pytest.mark.parametrize("pad", [0, 1, 2])
def test_base64_copies_are_redacted_at_every_alignment(secret: str, pad: int) -> None:
    """``echo "user:$TOKEN" | base64`` in a log: the token's bytes start at any of the three
    positions of a base64 group, and the encoded text around it differs each time."""
    import base64

    redactor = Redactor([secret])
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        prefix = b"u:"[:pad] + b"x" * 0
        blob = encode(prefix + secret.encode() + b"\n").decode()
        out = redactor.redact(f"Authorization: Basic {blob}")
        middle = encode(secret.encode()).decode()[4:-8]
        assert blob not in out
        assert not any(piece in out for piece in (middle, blob[8:-8])), out


@pytest.mark.parametrize("secret", [RUN_TOKEN, ODD_SECRET])
def test_url_encoded_and_hex_copies_are_redacted(secret: str) -> None:
    from urllib.parse import quote, quote_plus

    redactor = Redactor([secret])
    for copy in (quote(secret, safe=""), quote_plus(secret), secret.encode().hex(),
                 secret.encode().hex().upper(),
                 re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(secret, safe=""))):  # fmt: skip
        out = redactor.redact(f"GET /callback?state=1&t={copy}&x=2 HTTP/1.1")
        assert copy not in out, copy
        assert "[REDACTED:" in out


def test_a_secret_split_across_two_lines_is_redacted() -> None:
    """A log that wraps at a fixed width, with the runner's timestamp on the next line."""
    redactor = Redactor([ODD_SECRET])
    for cut in (5, 17, len(ODD_SECRET) - 3):
        head, tail = ODD_SECRET[:cut], ODD_SECRET[cut:]
        for text in (f"key {head}\n{tail} end", f"key {head}\n2024-05-14T09:12:03.1234567Z {tail}"):
            out = redactor.redact(text)
            assert head not in out or len(head) < 6, out
            assert tail not in out or len(tail) < 6, out


def test_a_long_head_or_tail_of_a_secret_is_redacted() -> None:
    """A limit cut the value: its first (or last) half is still most of the secret."""
    redactor = Redactor([ODD_SECRET])
    half = len(ODD_SECRET) // 2 + 1
    for piece in (ODD_SECRET[:half], ODD_SECRET[:-3], ODD_SECRET[-half:], ODD_SECRET[3:]):
        out = redactor.redact(f"before {piece}… after")
        assert piece not in out, piece
    # A short, common head is not a secret: "Opaque" alone stays.
    assert redactor.redact("Opaque types") == "Opaque types"


# --------------------------------------------------------------------------- shapes (gitleaks)
SHAPE_ONLY = {
    "Slack app token": "xapp-1-A0123456789-1234567890123-"
    "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "GitLab token": "glpat-Xk3Vq9Lm2Rt7Wz4Nb8Yc",
    "Hugging Face token": "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",
    "SendGrid key": "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",
    "DigitalOcean token": "dop_v1_"
    + "3f9a1c7e5b2d40868e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f",
    "Shopify token": "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",
    "Twilio key": "SK9c1e5a7f3b2d4086e1f2a3b4c5d6e7f8",
}


@pytest.mark.parametrize("kind", sorted(SHAPE_ONLY))
def test_vendor_shapes_from_the_maintained_rule_set_are_redacted(kind: str) -> None:
    secret = SHAPE_ONLY[kind]
    out = Redactor().redact(f"echo {secret} > creds\n")
    assert secret not in out and "[REDACTED:" in out, out


def test_a_bare_aws_secret_key_next_to_its_context_is_redacted() -> None:
    key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8kLm3VtR"
    for text in (
        f"AKIAQ3EGRN7WZ4LX5KPM,{key}",  # the credentials CSV the console offers
        f"aws configure set aws_secret_access_key {key}",
        f"export AWS_SECRET_ACCESS_KEY={key}",
        f'"SecretAccessKey": "{key}"',
    ):
        assert key not in Redactor().redact(text), text


def test_an_unterminated_private_key_is_redacted_without_eating_the_rest() -> None:
    """A log cut the block: its base64 goes, the next line of other text stays."""
    text = (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2\n"
        "2024-05-14T09:12:03.1234567Z Zb3+9xQ==\nError: process exited (1)"
    )
    out = Redactor().redact(text)
    assert "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2" not in out and "Zb3+9xQ" not in out
    assert out.endswith("Error: process exited (1)")


def test_text_with_bytes_that_were_not_utf8_is_searched_at_the_right_offsets() -> None:
    """git's output keeps each byte that was not UTF-8 as a lone surrogate; the keyword
    automaton reads UTF-8 and raised UnicodeEncodeError on it (deploy-gate exit 3)."""
    key = "AKIA" + "QWERTYUIOPASDFGH"
    text = b"name = 'caf\xe9'\naws = '".decode("utf-8", "surrogateescape") + key + "'\n"
    [hit] = find_secrets(text)
    assert text[hit.start : hit.end] == key
    redacted = Redactor([key]).redact(text)
    assert key not in redacted and "caf\udce9" in redacted


def test_long_text_is_scanned_in_windows_without_losing_a_secret_at_their_edges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The keyword scan reads long text in overlapping windows (its memory grows with the
    window, not the text): a secret across a window's edge, or a known value's seed there, is
    found as in one pass."""
    from cicd_agent.analysis.secrets import matcher
    from cicd_agent.analysis.secrets.loading import rule_set

    token = PLANTED["GitHub token"]
    filler = "x = 1\n" * 40
    text = "".join(f"{filler}{n}: key = {token}\n" for n in range(30)) + "é\udcff" + filler
    whole = find_secrets(text)
    value = "correct-horse-battery-staple"
    known = Redactor([value]).redact(text.replace("key = ", f"pw={value} key = "))
    rules = rule_set()
    lower = text.lower()
    keywords = matcher.keywords(rules.automaton, lower, rules.longest)
    monkeypatch.setattr(matcher, "_WINDOW", 97)  # edges fall everywhere, inside the tokens too
    assert matcher.keywords(rules.automaton, lower, rules.longest) == keywords
    assert find_secrets(text) == whole and len(whole) == 30
    assert Redactor([value]).redact(text.replace("key = ", f"pw={value} key = ")) == known
    assert value not in known
