"""deploy-gate's fitted risk and its noise fixes, on real git repositories:
a model fitted on the repository's own reverts, the priors when history is short, no leak of
later commits, access-weakening changes at least high, git's empty tree as a base, Dependabot
Actions bumps, ``policy.py`` and a repository's only author."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.change_types import ChangeType, classify_path
from cicd_agent.cli import main
from cicd_agent.risk import model as risk_model
from cicd_agent.risk import prior as risk_prior
from cicd_agent.risk import store
from cicd_agent.risk.evidence import weakened_access
from cicd_agent.risk.jit import FEATURES
from cicd_agent.risk.model import fit, require_solver
from cicd_agent.risk.prior import CrossRepoPrior, load_prior, parse_prior
from tests.git_builder import GitRepoBuilder
from tests.harness.action_runner import parse_github_output
from tests.harness.payloads import examples, write_event

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
AUTHOR_DEV0 = "dev0 <dev0@example.com>"
AUTH = """from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def login(user, password):
    if user is None or not user.is_active:
        return False
    return check_password(password, user.password_hash)


@login_required
def dashboard(request):
    return render(request, "dashboard.html")
"""


def run(tmp_path: Path, repo: Path, *args: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    out = tmp_path / "github_output"
    out.write_text("")
    stdout = io.StringIO()
    argv = ["deploy-gate", "--provider", "none", "--repo", str(repo), "--json", *args]
    argv += ["--deploy-time", "2026-11-18T12:00:00+00:00", "--cache-dir", str(tmp_path / "cache")]
    code = main(argv, environ={"GITHUB_OUTPUT": str(out)}, stdout=stdout, stderr=io.StringIO())
    return code, parse_github_output(out.read_text()), json.loads(stdout.getvalue())


def reasons(document: dict[str, Any]) -> list[str]:
    return [reason["message"] for reason in document["reasons"]]


def diff_of(tmp_path: Path, before: dict[str, str], after: dict[str, str]) -> str:
    repo = GitRepoBuilder(tmp_path / "diff")
    repo.commit("before", dict(before))
    repo.commit("after", dict(after))
    return repo.git("diff", "HEAD~1", "HEAD")


# --- the access-weakening detector, on diffs git writes ------------------------------------


def test_login_that_always_passes_and_a_removed_decorator_are_found(tmp_path: Path) -> None:
    weakened = AUTH.replace(
        "    if user is None or not user.is_active:\n        return False\n"
        "    return check_password(password, user.password_hash)\n",
        "    return True\n",
    ).replace("@login_required\n", "")
    found = weakened_access(diff_of(tmp_path, {"app/auth.py": AUTH}, {"app/auth.py": weakened}))
    assert "app/auth.py: login() now returns True" in found
    assert any("access check removed: @login_required" in item for item in found)


@pytest.mark.parametrize(
    ("path", "before", "after", "expected"),
    [
        ("mysite/settings.py", "ALLOWED_HOSTS = ['shop.example.com']\n",
         "ALLOWED_HOSTS = ['*']\n", "ALLOWED_HOSTS accepts any host"),
        ("mysite/settings.py", "CORS_ALLOW_ALL_ORIGINS = False\n",
         "CORS_ALLOW_ALL_ORIGINS = True\n", "CORS allows every origin"),
        ("api/views.py", "class V(APIView):\n    permission_classes = [IsAuthenticated]\n",
         "class V(APIView):\n    permission_classes = [AllowAny]\n", "AllowAny"),
        ("src/server.ts", "export function canEdit(user: User): boolean {\n  return user.isAdmin;\n}\n",
         "export function canEdit(user: User): boolean {\n  return true;\n}\n", "canEdit() now returns"),
    ],
)  # fmt: skip
def test_widened_lists_and_always_true_checks_are_found(
    tmp_path: Path, path: str, before: str, after: str, expected: str
) -> None:
    found = weakened_access(diff_of(tmp_path, {path: before}, {path: after}))
    assert any(expected in item for item in found), found


@pytest.mark.parametrize(
    ("path", "before", "after"),
    [
        # An ordinary predicate returning True is not an access check.
        ("app/util.py", "def is_empty(xs):\n    return len(xs) == 0\n",
         "def is_empty(xs):\n    return True\n"),
        # A test that stubs login is a test.
        ("tests/test_auth.py", "def login(u, p):\n    return check(u, p)\n",
         "def login(u, p):\n    return True\n"),
        # A decorator moved to another view, not removed.
        ("app/views.py", "@login_required\ndef a(r):\n    pass\n\n\ndef b(r):\n    pass\n",
         "def a(r):\n    pass\n\n\n@login_required\ndef b(r):\n    pass\n"),
    ],
)  # fmt: skip
def test_ordinary_changes_are_not_weakened_access(
    tmp_path: Path, path: str, before: str, after: str
) -> None:
    assert weakened_access(diff_of(tmp_path, {path: before}, {path: after})) == []


def test_login_returning_true_is_at_least_high_through_the_cli(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "app")
    # A neutral file name: nothing but the diff says this is authentication code.
    repo.commit("Add views", {"shop/views.py": AUTH, "README.md": "# app\n"})
    repo.commit(
        "Simplify login",
        {
            "shop/views.py": AUTH.replace(
                "    if user is None", "    return True\n    if user is None"
            )
        },
    )
    code, outputs, document = run(tmp_path, repo.path)
    assert code == 0
    assert outputs["risk_level"] in ("high", "critical")
    assert any("weaken authentication" in message for message in reasons(document))


# --- bases and branch creation ------------------------------------------------------------


def test_empty_tree_base_judges_the_whole_tree(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "app")
    repo.commit("Add auth", {"app/auth.py": AUTH})
    repo.commit("Add docs", {"README.md": "# app\n"})
    code, outputs, document = run(tmp_path, repo.path, "--base", EMPTY_TREE)
    assert code == 0, outputs.get("error")
    assert document["files_changed"] == 2
    assert "empty tree" in document["range_note"]


# --- the fitted model ---------------------------------------------------------------------


def import_history(
    repo: GitRepoBuilder, commits: int, revert_every: int, fix_every: int = 0
) -> None:
    """``commits`` commits by five authors in one fast-import; every ``revert_every``-th is a
    large rewrite that a later commit reverts (``Revert "…"``, as git writes it); with
    ``fix_every``, every ``fix_every``-th (offset 1) is titled as a bug fix, which makes the
    previous commit to its file fix-inducing (it rewrites that commit's lines)."""
    parts: list[bytes] = []
    clock = 1_600_000_000
    pending: list[str] = []
    for index in range(commits):
        clock += 3600
        author = f"dev{index % 5} <dev{index % 5}@example.com>"
        big = index % revert_every == 0
        subject = f"Rewrite module {index}" if big else f"Tweak module {index % 40}"
        if pending and index % revert_every == 3:
            subject = f'Revert "{pending.pop()}"'
        elif fix_every and index % fix_every == 1:
            subject = f"Fix crash in module {index % 40}"
        elif big:
            pending.append(subject)
        lines = 400 if big else 3
        content = "".join(f"value_{index}_{n} = {n}\n" for n in range(lines))
        name = f"src/pkg/mod{index % 40}.py"
        message = subject.encode()
        parts += [
            b"commit refs/heads/main\n",
            f"author {author} {clock} +0000\n".encode(),
            f"committer {author} {clock} +0000\n".encode(),
            f"data {len(message)}\n".encode(), message, b"\n",
            f"M 100644 inline {name}\n".encode(),
            f"data {len(content.encode())}\n".encode(), content.encode(), b"\n",
        ]  # fmt: skip
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo.path, input=b"".join(parts), check=True
    )
    repo.git("reset", "-q", "--hard", "main")


def rewritten_history(tmp_path: Path, revert_every: int, fix_every: int = 0) -> GitRepoBuilder:
    """A 400-commit :func:`import_history` and, on top, the change the tests score: a large
    rewrite of one module."""
    repo = GitRepoBuilder(tmp_path / "app")
    import_history(repo, 400, revert_every, fix_every)
    repo.commit("Rewrite everything", {"src/pkg/mod1.py": "x = 1\n" * 500})
    return repo


def test_a_long_history_with_reverts_is_fitted_and_says_so(tmp_path: Path) -> None:
    repo = rewritten_history(tmp_path, 20)
    code, outputs, document = run(tmp_path, repo.path)
    assert code == 0, outputs.get("error")
    first = reasons(document)[0]
    # Fitted at the checkpoint: the last commit before the Monday of the base's week.
    fitted = re.match(r"fitted on (\d+) past commits, (\d+) reverted, ", first)
    assert fitted and 300 <= int(fitted[1]) <= 400 and int(fitted[2]) >= 8, first
    assert any(r["signal"] == "size" for r in document["reasons"])  # this change's evidence
    # The points a fit gives are log-odds that rank the change: said so, not left to be summed.
    said = document["risk_arithmetic"]
    assert "log-odds" in said and "do not add up to the risk" in said, said
    assert f"the risk, {float(outputs['risk_score']):.2f}, is read from that rank" in said
    assert list((tmp_path / "cache").glob("risk-model-*.json.gz"))
    # A second run reads the cached fit and says the same.
    _, again, second = run(tmp_path, repo.path)
    assert second["reasons"] == document["reasons"]
    assert again["risk_score"] == outputs["risk_score"]


def test_enough_reverts_label_the_own_fit_alone(tmp_path: Path) -> None:
    """Fix-inducing commits (SZZ) are mostly not what gets reverted: where the past holds
    enough reverts, the fit learns from them alone, and the rate it states is theirs."""
    repo = rewritten_history(tmp_path, 20, fix_every=10)
    code, outputs, document = run(tmp_path, repo.path)
    assert code == 0, outputs.get("error")
    first = reasons(document)[0]
    fitted = re.match(
        r"fitted on (\d+) past commits, (\d+) reverted, .*riskier than \d+% of the [\d,]+ most "
        r"recent past commits(?: \(a young history of \d+: [^)]*\))?; "
        r"the repository's own model alone puts its chance of being reverted at .* "
        r"\(the repository's rate (\d+\.\d)%\)",
        first,
    )
    assert fitted, first
    assert float(fitted[3]) == round(100 * int(fitted[2]) / int(fitted[1]), 1), first


def test_few_reverts_are_joined_by_the_fix_inducing_commits(tmp_path: Path) -> None:
    repo = rewritten_history(tmp_path, 100, fix_every=10)  # four reverts, about forty fixes
    code, outputs, document = run(tmp_path, repo.path)
    assert code == 0, outputs.get("error")
    first = reasons(document)[0]
    fitted = re.match(
        r"fitted on \d+ past commits, ([0-7]) reverted and (\d+) fix-inducing \(too few "
        r"reverts to fit on alone\).*chance of needing a revert or fix",
        first,
    )
    assert fitted and int(fitted[2]) >= 8, first


def test_a_run_drops_the_fits_no_run_of_this_release_can_use(tmp_path: Path) -> None:
    repo = rewritten_history(tmp_path, 20)
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = [cache / f"risk-model-v5-{'a' * 40}.json.gz", cache / "risk-model-v4-x-y.json.gz"]
    for path in stale:
        path.write_bytes(gzip.compress(b"{}"))
    (cache / "commits-keep.json.gz").write_bytes(b"")  # not a fit: left alone
    run(tmp_path, repo.path)
    (current,) = cache.glob("risk-model-*.json.gz")
    later = current.with_name(current.name.replace(current.name.split("-")[-1], "b" * 40))
    later.write_bytes(current.read_bytes())  # this release's fit at another checkpoint
    shipped = load_prior()
    assert shipped is not None and shipped.digest in current.name
    assert not any(path.exists() for path in stale)
    assert (cache / "commits-keep.json.gz").exists()
    run(tmp_path, repo.path)
    assert later.exists()  # another base's fit of this release is kept


def test_the_cache_keeps_only_the_most_recently_used_fits(tmp_path: Path) -> None:
    """The action saves the cache after every run and a fit is made every week: the fits
    kept are bounded, and a fit a run reads counts as used (it outlives newer unused ones)."""
    repo = rewritten_history(tmp_path, 20)
    cache = tmp_path / "cache"
    run(tmp_path, repo.path)
    (current,) = cache.glob("risk-model-*.json.gz")
    start = current.name[: current.name.rindex("-") + 1]
    older = [cache / f"{start}{str(n) * 40}.json.gz" for n in range(5)]
    for age, path in enumerate(older):  # other checkpoints' fits, each last used a day apart
        path.write_bytes(current.read_bytes())
        os.utime(path, (1_700_000_000 + age * 86_400,) * 2)
    os.utime(current, (1_600_000_000,) * 2)  # the oldest on disk, but this run reads it
    _, outputs, _ = run(tmp_path, repo.path)
    assert current.stat().st_mtime > older[-1].stat().st_mtime  # read: marked used
    current.unlink()  # the next run fits again and saves: the cache is pruned
    _, again, _ = run(tmp_path, repo.path)
    assert again["risk_score"] == outputs["risk_score"]
    kept = set(cache.glob("risk-model-*.json.gz"))
    assert kept == {current, older[-1], older[-2]}, sorted(p.name for p in kept)
    assert store.KEPT_FITS == 3


def test_a_damaged_fit_cache_is_fitted_again(tmp_path: Path) -> None:
    repo = rewritten_history(tmp_path, 20)
    _, clean, _ = run(tmp_path, repo.path)
    (snapshot,) = (tmp_path / "cache").glob("risk-model-*.json.gz")
    data = json.loads(gzip.decompress(snapshot.read_bytes()))
    data["model"]["coef"] = data["model"]["coef"][:3]  # a cache someone else wrote
    snapshot.write_bytes(gzip.compress(json.dumps(data).encode()))
    code, outputs, _ = run(tmp_path, repo.path)
    assert code == 0, outputs.get("error")
    assert outputs["risk_score"] == clean["risk_score"]
    snapshot.write_bytes(b"not gzip at all")
    code, outputs, _ = run(tmp_path, repo.path)
    assert code == 0 and outputs["risk_score"] == clean["risk_score"]


def test_a_fit_cached_with_another_prior_is_fitted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade that ships another prior, with the old fit restored from a cache: the fit
    holds the old prior's log-odds of every past commit, so reusing it would rank the change
    against numbers the new prior never gave."""
    repo = rewritten_history(tmp_path, 20)
    run(tmp_path, repo.path)  # the cache now holds a fit made with the shipped prior
    shipped = load_prior()
    assert shipped is not None
    coef = list(shipped.coef)
    coef[FEATURES.index("lines_added")] += 2.0
    other = dataclasses.replace(shipped, coef=tuple(coef), digest="another-prior")
    monkeypatch.setattr(risk_prior, "load_prior", lambda: other)
    _, warm, _ = run(tmp_path, repo.path)
    (kept,) = (tmp_path / "cache").glob("risk-model-*.json.gz")  # the old prior's is dropped
    assert "another-prior" in kept.name
    (tmp_path / "cold").mkdir()
    _, cold, _ = run(tmp_path / "cold", repo.path)  # the new prior, no cache
    assert warm["risk_score"] == cold["risk_score"]


def test_a_short_history_keeps_the_priors_and_says_so(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "app")
    repo.commit("Add auth", {"app/auth.py": AUTH})
    repo.commit("Tweak", {"app/auth.py": AUTH + "\n# note\n"})
    _, _, document = run(tmp_path, repo.path)
    # two short sentences (a new user read one of 400 characters): why general rules score
    # it, its figures first, then which commits count
    first, second = reasons(document)[0].split(". ")
    assert first.startswith("priors: general rules score the change, as 1 past commit(s) are "
                            "too few to learn from: 0 reverted")  # fmt: skip
    assert len(first) < 200 and len(second) < 200, reasons(document)[0]
    # which commits count, and why ("288 past commits; a fit needs 300" on 1,553): here every
    # commit is of this week, so they are counted up to the base, not "before 00:00 UTC"
    assert second.startswith("They are the commits up to the base ")
    assert "before 00:00 UTC" not in reasons(document)[0]


@pytest.mark.parametrize(
    ("revert_every", "scorer"),
    [(20, "fitted on "), (100, "priors: too few reverted or fix-inducing")],
    ids=["own-fit-blended", "cross-repository-alone"],
)
def test_later_commits_in_the_clone_do_not_change_the_score(
    tmp_path: Path, revert_every: int, scorer: str
) -> None:
    full = GitRepoBuilder(tmp_path / "full")
    import_history(full, 400, revert_every)
    judged = full.commit("Rewrite everything", {"src/pkg/mod1.py": "x = 1\n" * 500})
    full.git("branch", "judged", judged)
    for index in range(30):  # later history, with reverts, that must not be seen
        sha = full.commit(f"Later {index}", {f"src/pkg/late{index}.py": "y = 2\n" * 300})
        full.commit(
            f'Revert "Later {index}"\n\nThis reverts commit {sha}.',
            remove=(f"src/pkg/late{index}.py",),
        )
    ancestors_only = tmp_path / "ancestors"
    subprocess.run(
        ["git", "clone", "-q", "--single-branch", "--branch", "judged", str(full.path),
         str(ancestors_only)], check=True,
    )  # fmt: skip
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, _, first = run(tmp_path / "a", full.path, "--head", judged)
    _, _, second = run(tmp_path / "b", ancestors_only, "--head", judged)
    assert reasons(first)[0].startswith(scorer), reasons(first)[0]
    # the evidence names the model that ranked it, not "fitted at" beside "too short to fit"
    fitted = first["reasons"][0]["evidence"][0]
    own = scorer == "fitted on "
    assert fitted.startswith("this repository's model fitted at ") == own, fitted
    assert fitted.startswith("the cross-repository model, history read up to ") != own, fitted
    assert first["risk_score"] == second["risk_score"]
    assert reasons(first) == reasons(second)


def test_missing_scipy_is_a_clear_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(UsageError, match="scipy") as caught:
        require_solver()
    assert "cicd-agent[deploy]" in str(caught.value.hint)


def test_the_fit_imports_only_its_solver_and_says_each_step_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold fit sat silent for 17-31 s, most of it importing scikit-learn only to check it
    was installed (the solver is scipy's): the fit imports what it uses, and says each of its
    steps, with their counts, on stderr."""
    monkeypatch.setitem(sys.modules, "sklearn", None)  # importing it now raises ImportError
    repo = rewritten_history(tmp_path, 20)
    err = io.StringIO()
    argv = ["deploy-gate", "--provider", "none", "--repo", str(repo.path), "--json",
            "--deploy-time", "2026-11-18T12:00:00+00:00", "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    assert main(argv, environ={}, stdout=io.StringIO(), stderr=err) == 0, err.getvalue()
    said = err.getvalue()
    steps = [r"fitting the risk model on \d+ past commits", r"1/3: their features, replayed",
             r"2/3: \d+ reverted and \d+ fix-inducing found",
             r"3/3: loading numpy and scipy, then solving for \d+ weights"]  # fmt: skip
    for step in steps:
        assert re.search(step, said), said


# --- noise -----------------------------------------------------------------------------------

WORKFLOW = """on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1
      - uses: actions/setup-python@0a5c61591373683505ea898e09a3ea4f39ef2b9c # v5.0.0
      - run: pytest
"""


def test_dependabot_actions_bumps_are_not_high(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "app")
    repo.commit("Add CI", {".github/workflows/ci.yml": WORKFLOW, "app/main.py": "x = 1\n"})
    bumped = WORKFLOW.replace(
        "b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1",
        "11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
    ).replace("0a5c61591373683505ea898e09a3ea4f39ef2b9c # v5.0.0",
              "42375524e23c412d93fb67b49958b491fce71c38 # v5.4.0")  # fmt: skip
    repo.commit(
        "Bump the actions group with 2 updates",
        {".github/workflows/ci.yml": bumped},
        author="dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
    )
    _, outputs, document = run(tmp_path, repo.path)
    assert outputs["risk_level"] in ("low", "medium")
    assert any("Only GitHub Actions versions changed" in m for m in reasons(document))


def test_a_workflow_run_line_is_not_a_pin_bump(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "app")
    repo.commit("Add CI", {".github/workflows/ci.yml": WORKFLOW})
    repo.commit("Run more", {".github/workflows/ci.yml": WORKFLOW.replace("pytest", "pytest -x")})
    _, _, document = run(tmp_path, repo.path)
    assert not any("Only GitHub Actions versions changed" in m for m in reasons(document))


def test_policy_py_is_not_security_by_name() -> None:
    assert ChangeType.SECURITY not in classify_path("src/cicd_agent/modes/deploy_gate/policy.py")
    assert ChangeType.SECURITY in classify_path("src/app/auth/login.py")


def test_the_only_author_is_not_called_inexperienced(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "solo")
    for index in range(20):
        repo.commit(f"Work {index}", {"app/main.py": f"x = {index}\n"})
    _, _, document = run(tmp_path, repo.path)
    assert not any(r["signal"] == "experience" for r in document["reasons"])
    assert not any("experienced" in m for m in reasons(document))


def test_real_branch_creation_push_is_judged_with_the_fitted_model(tmp_path: Path) -> None:
    """GitHub's own recorded branch-creation push (``before`` all zeros, ``created: true``)."""
    repo = GitRepoBuilder(tmp_path / "app")
    import_history(repo, 400, 20)
    head = repo.commit("Rewrite module 1", {"src/pkg/mod1.py": "x = 1\n" * 500})
    payload = next(
        p for p in examples("push") if p["created"] and p["ref"].startswith("refs/heads/")
    )
    assert payload["before"] == "0" * 40
    payload["after"] = head
    event = write_event(tmp_path, payload)
    code, outputs, document = run(
        tmp_path, repo.path, "--event", str(event), "--event-name", "push"
    )
    assert code == 0, outputs.get("error")
    assert document["head"] == head
    assert reasons(document)[0].startswith("fitted on ")
    assert document["files_changed"] == 1


# --- the cross-repository prior -----------------------------------------------------------


def test_the_shipped_prior_matches_the_features_and_names_its_sources() -> None:
    prior = load_prior()
    assert prior is not None and len(prior.coef) == len(FEATURES)
    assert len(prior.repositories) >= 6
    held_out = {"psf/requests", "pypa/pip", "pytest-dev/pytest", "wagtail/wagtail",
                "saleor/saleor", "netbox-community/netbox"}  # fmt: skip
    assert not held_out & {name.lower() for name in prior.repositories}


def test_a_prior_for_other_features_or_damaged_is_not_applied() -> None:
    good = {"features": list(FEATURES), "coef": [0.1] * len(FEATURES), "intercept": 0.0,
            "provenance": {"repositories": ["a/b"]}}  # fmt: skip
    assert parse_prior(json.dumps(good)) is not None
    stale = {**good, "features": [*FEATURES[:-1], "something_else"]}
    assert parse_prior(json.dumps(stale)) is None
    assert parse_prior(json.dumps({**good, "coef": [0.1, 0.2]})) is None
    assert parse_prior("{not json") is None


def test_few_reverts_rank_by_the_prior_and_no_prior_keeps_the_hand_set_weights() -> None:
    rows = [[float(i % 7), float(i % 3)] + [0.0] * (len(FEATURES) - 2) for i in range(400)]
    labels = [i < 3 for i in range(400)]  # three positives: too few for a fit of its own
    assert fit(rows, labels, None) is None
    prior = CrossRepoPrior((1.0, 0.0) + (0.0,) * (len(FEATURES) - 2), 0.0, ("a/b",))
    model = fit(rows, labels, prior)
    assert model is not None and not model.own
    low = model.score([0.0] * len(FEATURES))
    high = model.score([6.0] + [0.0] * (len(FEATURES) - 1))
    assert low[1] is None and high[0] > low[0]  # the prior's first feature ranks them


def test_a_fit_blends_with_the_prior(tmp_path: Path) -> None:
    rows = [[float(i % 7), float(i % 3)] + [0.0] * (len(FEATURES) - 2) for i in range(400)]
    labels = [i % 7 == 6 and i % 3 == 0 for i in range(400)]
    prior = CrossRepoPrior((0.0, 1.0) + (0.0,) * (len(FEATURES) - 2), 0.0, ("a/b",))
    alone = fit(rows, labels, None)
    blended = fit(rows, labels, prior)
    assert alone is not None and blended is not None and blended.own
    row = [6.0, 0.0] + [0.0] * (len(FEATURES) - 2)  # own fit: risky; prior: the safest kind
    assert blended.score(row)[2] < alone.score(row)[2]


def test_a_change_is_ranked_once_for_its_score_and_its_reasons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The score and each feature's share of it come from one ranking of the change's row
    (it was ranked once for the score and again for the reasons), with the same figures."""
    rows = [[float(i % 7), float(i % 3)] + [0.0] * (len(FEATURES) - 2) for i in range(400)]
    labels = [i % 7 == 6 and i % 3 == 0 for i in range(400)]
    prior = CrossRepoPrior((0.5, -1.0) + (0.0,) * (len(FEATURES) - 2), 0.0, ("a/b",))
    model = fit(rows, labels, prior)
    assert model is not None and model.own
    row = [6.0, 1.0] + [0.0] * (len(FEATURES) - 2)
    expected = model.score(row)
    ranked: list[Sequence[float]] = []
    original = risk_model.Ranks.row

    def counted(self: risk_model.Ranks, values: Sequence[float]) -> list[float]:
        ranked.append(values)
        return original(self, values)

    monkeypatch.setattr(risk_model.Ranks, "row", counted)
    assessed = model.assess(row)
    assert ranked == [row]
    assert (assessed.score, assessed.probability, assessed.share) == expected
    assert list(assessed.contributions) == list(FEATURES)
    assert assessed.contributions[FEATURES[0]] > 0  # the riskiest value, weighed up by both
    assert assessed.contributions[FEATURES[2]] == 0.0  # every past commit's value: no share


def test_few_reverts_in_a_long_history_use_the_cross_repository_model(tmp_path: Path) -> None:
    repo = rewritten_history(tmp_path, 100)  # four reverts: too few for a fit of its own
    code, outputs, document = run(tmp_path, repo.path)
    assert code == 0, outputs.get("error")
    first = reasons(document)[0]
    assert first.startswith("priors: too few reverted or fix-inducing past commits"), first
    assert "its size and the cross-repository model rank the change" in first
    assert len(document["reasons"]) > 1  # the evidence for this change is still named


# --- the shipped prior ---------------------------------------------------------------------


def test_the_shipped_prior_reads_no_subject_words_and_is_applied_within_the_signs() -> None:
    """The words of a commit subject are text the author writes: the shipped file holds none.
    Its coefficients are fitted within the signs of DIRECTIONS (``prior_fit``), and deploy-gate
    clips whatever it reads to them again: a bigger change or a less experienced author never
    ranks lower under it."""
    document = json.loads(
        (Path(risk_prior.__file__).parent.parent / risk_prior.PRIOR_FILE).read_text("utf-8")
    )
    assert "words" not in document
    shipped = load_prior()
    assert shipped is not None
    rows = [[float((i * 7 + j) % 11) for j in range(len(FEATURES))] for i in range(400)]
    labels = [i % 40 == 0 for i in range(400)]
    model = fit(rows, labels, shipped)
    assert model is not None
    assert model.prior_coef == risk_model.constrain(shipped.coef) == shipped.coef
    for name, value in zip(FEATURES, model.prior_coef, strict=True):
        direction = risk_model.DIRECTIONS.get(name)
        if direction == risk_model.UNUSED:
            assert value == 0, name
        elif direction is not None:
            assert value * direction >= 0, name


def test_the_pull_author_is_whom_github_names_and_a_failed_answer_falls_back_to_git() -> None:
    """Review and deploy-gate score the author GitHub names (``fit.pull_author``); an answer
    that fails costs a note and leaves git's text (None), never the run."""
    from cicd_agent.actions.errors import ExternalServiceError
    from cicd_agent.analysis.changes import ChangeSet
    from cicd_agent.risk.fit import pull_author

    change = ChangeSet(head="h" * 40, base="b" * 40, files=(), commits=())
    notes: list[str] = []
    found = pull_author(lambda head, base: ("ana", ("ana@example.com",)), change, notes.append)
    assert found is not None and found.verified and found.emails == ("ana@example.com",)
    assert pull_author(lambda head, base: None, change, notes.append) is None
    assert pull_author(None, change, notes.append) is None
    assert notes == []

    def fails(head: str, base: str) -> tuple[str, tuple[str, ...]] | None:
        raise ExternalServiceError("GitHub answered 502")

    assert pull_author(fails, change, notes.append) is None
    assert notes == [
        "Pull request author unavailable, so git's author text is used: GitHub answered 502"
    ]
    root = ChangeSet(head="h" * 40, base=None, files=(), commits=())
    assert pull_author(fails, root, notes.append) is None and len(notes) == 1


def test_another_repositorys_runs_never_evict_this_repositorys_fits(tmp_path: Path) -> None:
    """One cache on a laptop or a shared runner: fits of five other repositories, newer than
    this one's, leave this repository's fit in place, and its run removes none of theirs
    (before, three fits in all were kept and a gate refitted for 30 to 65 s)."""
    repo = rewritten_history(tmp_path, 20)
    cache = tmp_path / "cache"
    run(tmp_path, repo.path)
    (current,) = cache.glob("risk-model-*.json.gz")
    start = current.name[: current.name.rindex("-") + 1]
    release = start[: start[:-1].rindex("-") + 1]
    others = [cache / f"{release}{str(n) * 16}-{'c' * 40}.json.gz" for n in range(5)]
    for age, path in enumerate(others):
        path.write_bytes(current.read_bytes())
        os.utime(path, (1_900_000_000 + age,) * 2)  # all used after this repository's fit
    os.utime(current, (1_600_000_000,) * 2)
    run(tmp_path, repo.path)
    assert current.exists()
    assert all(path.exists() for path in others)


def test_the_checkpoint_is_said_to_be_in_the_base_commits_week() -> None:
    """"before Monday 00:00 UTC" read as last Monday, where a base of 2023 is fitted up to a
    commit of its own week: the words name whose Monday it is."""
    from cicd_agent.risk.fit import Snapshot, _counted
    from cicd_agent.risk.jit import Replay

    said = _counted(Snapshot("c" * 40, None, Replay(), 400, 20, 0, later=3))
    assert "before 00:00 UTC on the Monday of the base commit's week" in said, said
    assert "the 3 since are ranked" in said


def test_the_points_paragraph_explains_only_points_that_are_listed() -> None:
    """A fit whose reasons carry no points explained "the listed log-odds" and listed none."""
    from cicd_agent.risk.fit import fit_arithmetic

    none_listed = fit_arithmetic(0.6, 0.31, listed=False)
    assert "so none is listed" in none_listed and "0.050 or more are listed" not in none_listed
    assert "riskier than 60% of the recent past commits, and the risk, 0.31" in none_listed
    some = fit_arithmetic(0.6, 0.31, listed=True)
    assert "0.050 or more are listed" in some and "do not add up to the risk" in some
