"""One risk scorer: review's ``risk_level`` is deploy-gate's for the same change, on a
full clone and on a default ``actions/checkout`` (depth 1) once the action has deepened it
itself; a shallow clone it cannot deepen falls back to the floors and says how to fix it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli

SHALLOW = "shallow clone: set `fetch-depth: 0`"


def _origin(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    """The repository on its "server" (``file://``): a past of 40 commits by two authors, then
    a change. ``allowAnySHA1InWant``: GitHub serves any reachable commit by its SHA."""
    repo = GitRepoBuilder(tmp_path / "server" / "acme" / "shop.git")
    repo.git("config", "uploadpack.allowAnySHA1InWant", "true")
    for number in range(40):
        author = "Ann <ann@example.org>" if number % 3 else "Bob <bob@example.org>"
        repo.commit(
            f"Change {number}" + (" (fix crash)" if number % 7 == 0 else ""),
            {f"src/module_{number % 6}.py": f"VALUE = {number}\n" * (number % 9 + 1)},
            author=author,
        )
    base = repo.head()
    head = repo.commit(
        "Add the billing service",
        {f"src/billing/part_{i}.py": "def run():\n    return 1\n" * 40 for i in range(6)},
        author="Ann <ann@example.org>",
    )
    return repo, base, head


def _clone(tmp_path: Path, origin: GitRepoBuilder, depth: int) -> Path:
    target = tmp_path / f"clone-{depth}"
    subprocess.run(
        ["git", "clone", "-q", f"--depth={depth}", f"file://{origin.path}", str(target)],
        check=True,
        capture_output=True,
    )
    return target


def _levels(
    tmp_path: Path, repo: Path, base: str, head: str, environ: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Each mode's outputs for ``base..head`` in ``repo``, offline (no model, no GitHub)."""
    outputs = []
    for mode in ("review", "deploy-gate"):
        argv = [mode, "--provider", "none", "--repo", str(repo), "--base", base, "--head", head]
        place = tmp_path / f"{mode}-{repo.name}"
        place.mkdir()
        run = run_cli(argv, place, environ)
        assert run.code == 0, run.stderr
        outputs.append(run.outputs)
    return outputs[0], outputs[1]


def test_review_and_deploy_gate_give_one_level_on_a_full_and_a_deepened_clone(
    tmp_path: Path,
) -> None:
    origin, base, head = _origin(tmp_path)
    server = {
        "GITHUB_SERVER_URL": f"file://{tmp_path / 'server'}",
        "GITHUB_REPOSITORY": "acme/shop",
    }

    full_review, full_gate = _levels(tmp_path, origin.path, base, head, {})
    shallow = _clone(tmp_path, origin, depth=1)
    # A default checkout holds the head alone: the base is fetched with its history.
    deep_review, deep_gate = _levels(tmp_path, shallow, base, head, server)

    assert full_review["risk_level"] == full_gate["risk_level"]
    assert deep_review["risk_level"] == deep_gate["risk_level"] == full_gate["risk_level"]
    assert SHALLOW not in deep_gate["reasons"]
    # The same past was read: the reasons (how many past commits, what they weigh) agree.
    assert deep_gate["reasons"] == full_gate["reasons"]


def test_a_shallow_clone_that_cannot_be_deepened_is_never_milder_and_says_why(
    tmp_path: Path,
) -> None:
    """Attack: a cut history must not rank a change against the little past it holds. With no
    server to fetch from, both modes fall back to the floors, critical, and name the fix."""
    origin, base, head = _origin(tmp_path)
    shallow = _clone(tmp_path, origin, depth=2)

    review, gate = _levels(tmp_path, shallow, base, head, {"GITHUB_REPOSITORY": ""})

    assert review["risk_level"] == gate["risk_level"] == "critical"
    assert SHALLOW in gate["reasons"]
