"""The API's facets, promised and lent: each names core parts a mode uses, and is loaded only
by a mode that imports it, so a mode pays at import for what it uses and nothing else."""

from __future__ import annotations

import subprocess
import sys

from cicd_agent.api import (
    audit,
    checkout_files,
    contracts,
    github,
    model,
    notify,
    risk,
    runners,
    tests,
)
from cicd_agent.api.lent import (
    analysis,
    answers,
    build_report,
    change,
    command_line,
    comments,
    finding_text,
    findings,
    git,
    logs,
    posting,
    processes,
    python_imports,
    registry,
    run,
    sandbox,
    settings,
    verifier,
)
from cicd_agent.api.lent import audit as lent_audit
from cicd_agent.api.lent import checkout_files as lent_checkout_files
from cicd_agent.api.lent import contracts as lent_contracts
from cicd_agent.api.lent import github as lent_github
from cicd_agent.api.lent import model as lent_model
from cicd_agent.api.lent import risk as lent_risk
from cicd_agent.api.lent import runners as lent_runners
from cicd_agent.api.lent import tests as lent_tests
from tests.project.test_api_promise import typing_only
from tests.project.test_api_used import LENT, PROMISED

FACETS = (audit, checkout_files, contracts, github, model, notify, risk, runners, tests,
          analysis, answers, build_report, change, command_line, comments,
          finding_text, lent_audit,
          lent_checkout_files, lent_contracts, findings, git, lent_github, logs, lent_model,
          posting, processes, python_imports, registry, lent_risk, run, lent_runners, sandbox, settings,
          lent_tests, verifier)  # fmt: skip
"""Every facet: the promised ones beside ``cicd_agent.api`` and the lent ones in
``cicd_agent.api.lent``."""


def test_every_facet_is_checked() -> None:
    assert sorted(facet.__name__ for facet in FACETS) == sorted(
        name for name in [*PROMISED, *LENT] if name != "cicd_agent.api"
    )


HEAVY = ("openai", "github.MainClass", "cicd_agent.risk.score", "cicd_agent.verify.judge")
"""What the facets bring and the API itself must not: the provider's SDK, PyGithub, the risk
model, the verifier."""


def test_every_facet_names_only_what_it_holds() -> None:
    """Or what it imports for type checkers alone (``ModeArguments``, a Protocol)."""
    for facet in FACETS:
        assert facet.__all__, facet.__name__
        typed = typing_only(facet)
        assert all(hasattr(facet, name) or name in typed for name in facet.__all__), facet.__name__


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
