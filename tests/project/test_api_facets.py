"""The public API's facets: each names core parts a mode uses, and is loaded only by a mode
that imports it, so a mode pays at import for what it uses and nothing else."""

from __future__ import annotations

import subprocess
import sys

from cicd_agent.api import (
    audit,
    bounded_yaml,
    checkout_files,
    command_line,
    contracts,
    findings,
    git,
    github,
    logs,
    model,
    notify,
    risk,
    runners,
    tests,
    verifier,
)

FACETS = (audit, bounded_yaml, checkout_files, command_line, contracts, findings, git, github, logs,
          model, notify, risk, runners, tests, verifier)  # fmt: skip
HEAVY = ("openai", "github.MainClass", "cicd_agent.risk.score", "cicd_agent.verify.judge")
"""What the facets bring and the API itself must not: the provider's SDK, PyGithub, the risk
model, the verifier."""


def test_every_facet_names_only_what_it_holds() -> None:
    for facet in FACETS:
        assert facet.__all__, facet.__name__
        assert all(hasattr(facet, name) for name in facet.__all__), facet.__name__


def test_the_api_itself_loads_no_facet_and_nothing_heavy() -> None:
    probe = (
        "import sys, cicd_agent.api\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('cicd_agent.api.'))))\n"
        f"print('\\n'.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


REVIEW_LATER = ("cicd_agent.verify.judge", "cicd_agent.runners", "cicd_agent.sandbox",
                "junitparser", "yaml", "openai", "github", "pygments.lexer", "pygments.lexers",
                "numpy", "scipy", "sklearn")  # fmt: skip
"""What a review loads only once it uses it: the verifier, the test runners and the sandbox (a
checked suggestion, a linter's run), YAML's parser (a changed workflow's audit), the provider's
SDK and PyGithub (their clients), Pygments' lexers (the first file whose running lines are
read); and what it never loads: the numeric stack of deploy-gate's canary."""


def test_a_review_starts_without_what_it_may_not_use() -> None:
    """Imported as the CLI imports it: the CLI, then the mode's declaration, options and wiring
    through the registry."""
    probe = (
        "import sys, cicd_agent.cli\n"
        "from cicd_agent.plugins import plugin\n"
        "review = plugin('review')\n"
        "review.arguments(), review.options(), review.load()\n"
        f"print('\\n'.join(m for m in {REVIEW_LATER!r} if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []
