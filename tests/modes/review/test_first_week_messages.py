"""What a new user met in the first week, each said plainly: an event file without
``--event-name``, a ref that is not in the checkout, a bad ``fail-on`` in the settings file, a
mistyped option, and a finding given two different line numbers. The real CLI on real git."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY, ModelServer
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.review import answer, model_finding

SOURCE = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(10))


def _repo(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": SOURCE})
    head = repo.commit("Change", {"app.py": SOURCE.replace("x + 3", "x - 3")})
    return repo, base, head


def _local(argv: list[str], tmp_path: Path) -> CliRun:
    """As in a developer's terminal: a mistake is one line on stderr (the SARIF file of a run
    that gets that far goes under ``tmp_path``, not the shared temporary folder)."""
    sarif = ["--sarif-file", str(tmp_path / "review.sarif")]
    return run_cli([*argv, *sarif], tmp_path, on_runner=False)


def test_an_event_file_without_its_name_says_to_pass_event_name(tmp_path: Path) -> None:
    """``--event`` with a payload whose kind its keys do not tell said "got a None event"."""
    repo, _, _ = _repo(tmp_path)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "zen": "Keep it simple."}))
    done = _local(["review", "--repo", str(repo.path), "--event", str(event)], tmp_path)
    assert done.code == 2
    assert "None" not in done.stderr, done.stderr
    assert "got event.json, an event file of unknown kind; pass --event-name" in done.stderr


def test_a_ref_not_in_the_checkout_is_named_base_or_head(tmp_path: Path) -> None:
    repo, base, _ = _repo(tmp_path)
    argv = ["review", "--repo", str(repo.path)]
    done = _local([*argv, "--base", "0" * 40, "--head", "HEAD"], tmp_path)
    assert done.code == 2
    assert f"the base '{'0' * 40}' is not a commit of the checkout at" in done.stderr
    assert "head" not in done.stderr.split("is not a commit")[0], done.stderr
    done = _local([*argv, "--base", base, "--head", "no-such-branch"], tmp_path)
    assert "the head 'no-such-branch' is not a commit of the checkout at" in done.stderr
    done = _local([*argv, "--base", "nope", "--head", "nada"], tmp_path)
    assert "the base 'nope' and the head 'nada' are not commits of the checkout" in done.stderr


def test_a_wrong_name_in_a_whole_history_says_check_the_name_not_fetch_more(
    tmp_path: Path,
) -> None:
    """A typo in ``--base`` on a checkout holding its whole history was told to fetch more
    history (``fetch-depth: 0``), which cannot help; a shallow clone still is."""
    repo, _, _ = _repo(tmp_path)
    done = _local(["review", "--repo", str(repo.path), "--base", "mian"], tmp_path)
    assert done.code == 2
    assert "check the name" in done.stderr and "fetch-depth" not in done.stderr, done.stderr
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow)], check=True
    )
    done = _local(["review", "--repo", str(shallow), "--base", "HEAD~1"], tmp_path)
    assert done.code == 2
    assert "fetch-depth: 0" in done.stderr, done.stderr


def test_a_bad_fail_on_in_the_settings_file_names_the_file(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit(
        "Settings", {"app.py": SOURCE, ".github/cicd-agent.yml": "review:\n  fail-on: hihg\n"}
    )
    head = repo.commit("Change", {"app.py": SOURCE.replace("x + 3", "x - 3")})
    done = _local(["review", "--repo", str(repo.path), "--base", base, "--head", head], tmp_path)
    assert done.code == 2
    assert (
        f"setting 'fail-on' in .github/cicd-agent.yml at {base[:12]}: fail-on 'hihg' is not "
        "valid for review; use one of: low, medium, high, critical, none." in done.stderr
    ), done.stderr
    # a flag or an input names itself, and wins over the file
    done = _local(
        ["review", "--repo", str(repo.path), "--base", base, "--head", head, "--fail-on", "high"],
        tmp_path,
    )
    assert done.code == 0, done.stderr


def test_a_mistyped_option_gets_a_did_you_mean(tmp_path: Path) -> None:
    repo, base, head = _repo(tmp_path)
    argv = ["review", "--repo", str(repo.path), "--base", base, "--head", head]
    done = _local([*argv, "--fail-onn", "high"], tmp_path)
    assert done.code == 2
    assert "Unrecognized arguments: --fail-onn high. Did you mean --fail-on?" in done.stderr
    done = _local([*argv, "--zzzz"], tmp_path)
    assert "Did you mean" not in done.stderr, done.stderr


def test_a_finding_over_several_lines_has_one_line_number_everywhere(
    tmp_path: Path, model_server: ModelServer
) -> None:
    """The summary's table said ``publish.yml:20`` where the annotation said ``:9``: the table
    named a range's last line, the annotation (and SARIF) its first."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": SOURCE})
    head = repo.commit("Change", {"app.py": SOURCE.replace("+", "-")})
    found = model_finding("app.py", 8, "Sign flipped", severity="high", start_line=2)
    model_server.answer(answer(found), times=None)
    done = run_cli(
        ["review", "--repo", str(repo.path), "--base", base, "--head", head,
         "--provider", "openai", "--base-url", model_server.base_url, "--model", "gpt-4o-mini",
         "--fail-on", "high"],
        tmp_path, {"OPENAI_API_KEY": TEST_API_KEY},
    )  # fmt: skip
    assert done.code == 1, done.stderr
    row = next(
        line
        for line in done.summary.splitlines()
        if line.startswith("|") and "Sign flipped" in line
    )
    assert "`app.py:2`" in row, row
    annotation = re.search(
        r"::error title=[^,\n]*,file=app.py,line=(\d+),endLine=(\d+)::", done.stdout
    )
    assert annotation is not None, done.stdout
    assert annotation.groups() == ("2", "8")
    assert "the most severe: high Sign flipped (app.py:2)." in done.stdout, done.stdout
    assert "app.py:8" not in done.summary + done.stdout
