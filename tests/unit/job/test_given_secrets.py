"""A secret handed to cicd-agent by a flag is known to the run's redactor before the first
request, as one handed by an input or the environment is (a metric store quoting it back to a
mode: tests/modes/deploy_gate/canary/test_canary_given_secrets.py)."""

from __future__ import annotations

from pathlib import Path

TOKEN = "7c1e4d92b8a05f36e0a1c4d9"
"""No vendor's shape: only knowing the value can hide it."""


def test_every_secret_named_option_given_is_known_to_the_runs_redactor(tmp_path: Path) -> None:
    """The seam, not the store: whichever way a secret-named option came in (a flag here), the
    context's redactor knows its value; a plain option's value is not hidden."""
    from cicd_agent.job.context import given_secrets
    from cicd_agent.job.options import Given

    given = Given({"prometheus_token": TOKEN, "audit_database_url":
                   "postgresql://audit:db-pw-8f2a61c3@db.internal/audit",
                   "prometheus_url": "http://127.0.0.1:9090", "max_files": 30})  # fmt: skip
    found = given_secrets(given)
    assert TOKEN in found and "db-pw-8f2a61c3" in found
    assert "http://127.0.0.1:9090" not in found and "30" not in found
    with_password = Given({"prometheus_url": "https://reader:store-pw-0c7d1e@prom.example"})
    assert given_secrets(with_password) == ["store-pw-0c7d1e"]  # the URL itself is no secret
