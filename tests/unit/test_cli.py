"""The CLI's contract: version, help without heavy imports, one exit path for failures."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from cicd_agent import __version__
from cicd_agent.cli import main
from tests.git_builder import GitRepoBuilder
from tests.harness.action_runner import parse_github_output
from tests.harness.installation import installation, site_packages
from tests.harness.payloads import REPO_ROOT

CLI = Path(sys.executable).parent / "cicd-agent"


def runner_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "out").touch()
    (tmp_path / "summary").touch()
    return {
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }


def test_version_from_the_installed_console_script() -> None:
    completed = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, check=True)
    assert completed.stdout == f"cicd-agent {__version__}\n"


def test_help_lists_every_mode_and_imports_no_sdk() -> None:
    probe = (
        "import io, sys, contextlib\n"
        "from cicd_agent.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = main(['--help'])\n"
        "print(code, [m for m in ('openai', 'github', 'git', 'pydantic') if m in sys.modules])\n"
        "print(out.getvalue())\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    first, _, help_text = completed.stdout.partition("\n")
    assert first == "0 []", completed.stderr
    from cicd_agent.plugins import installed_modes

    for name in installed_modes():
        assert name in help_text


def test_unknown_mode_is_a_usage_error_with_outputs_and_summary(tmp_path: Path) -> None:
    environ = runner_env(tmp_path)
    stdout = io.StringIO()
    code = main(["no-such-mode"], environ=environ, stdout=stdout, stderr=io.StringIO())
    assert code == 2
    outputs = parse_github_output((tmp_path / "out").read_text())
    assert "no-such-mode" in outputs["error"]
    assert outputs["tokens_used"] == "0"
    summary = (tmp_path / "summary").read_text()
    assert "could not finish" in summary
    assert "Exit code 2." in summary
    assert "::error title=cicd-agent::" in stdout.getvalue()
    assert "Traceback" not in stdout.getvalue()


def test_json_error_is_one_document_on_stdout(tmp_path: Path) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["no-such-mode", "--json"], environ=runner_env(tmp_path), stdout=stdout, stderr=stderr
    )
    assert code == 2
    document = json.loads(stdout.getvalue())
    assert document["exit_code"] == 2
    assert "no-such-mode" in document["error"]
    assert "::error" in stderr.getvalue()


def test_a_run_that_finished_writes_an_empty_error_output(tmp_path: Path) -> None:
    """README: `error` is "why the run could not finish (empty when it did)": a workflow can
    test it, so it is written on success too, not left unset."""
    environ = runner_env(tmp_path)
    logs = REPO_ROOT / "examples" / "logs" / "pytest-failure.zip"
    code = main(
        ["analyse-failure", "--provider", "none", "--logs", str(logs)],
        environ=environ, stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    assert code == 0
    outputs = parse_github_output((tmp_path / "out").read_text())
    assert outputs["error"] == ""
    assert outputs["failure_type"] == "test_failure"


SECRET = "hunter2-" + "s3cret-password"


def _everything_written(tmp_path: Path, stdout: str, stderr: str) -> str:
    """Every place a failure is shown: the outputs, the summary and both streams, without the
    ``::add-mask::`` lines that hand a secret to the runner so it can hide it."""
    written = [(tmp_path / "out").read_text(), (tmp_path / "summary").read_text(), stdout, stderr]
    lines = "\n".join(written).splitlines()
    return "\n".join(line for line in lines if not line.startswith("::add-mask::"))


def test_an_offline_run_still_refuses_a_bad_model_setting(tmp_path: Path) -> None:
    """Provider none validates the model's settings only when one is given: one that is, and
    is wrong, still stops the run as a usage error naming it, a flag's or ``OPENAI_BASE_URL``'s."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"a.py": "A = 1\n"})
    head = repo.commit("change", {"a.py": "A = 2\n"})
    wrong = {"model-timeout": (["--model-timeout", "0"], {}),
             "base-url": ([], {"OPENAI_BASE_URL": "localhost:11434"})}  # fmt: skip
    for option, (argv, extra) in wrong.items():
        environ = runner_env(tmp_path) | extra
        review = ["review", "--provider", "none", "--repo", str(repo.path), "--base", base,
                  "--head", head, *argv]  # fmt: skip
        code = main(review, environ=environ, stdout=io.StringIO(), stderr=io.StringIO())
        error = parse_github_output((tmp_path / "out").read_text())["error"]
        assert (code, error.startswith(f"invalid model settings: {option}: ")) == (2, True), error


def test_a_mistyped_secret_flag_is_named_but_its_value_never_shown(tmp_path: Path) -> None:
    """argparse echoes every unrecognized word (`--audit-database-urll=postgresql://u:PW@h`)
    and an ambiguous option with its value: the error names the option, not the value."""
    url = f"postgresql://cicd:{SECRET}@db.internal:5432/audit"
    attempts = {
        "typo, one word": ["review", f"--audit-database-urll={url}"],
        "typo, two words": ["review", "--audit-database-urll", url],
        "ambiguous prefix": ["deploy-gate", f"--audit={url}"],
    }
    for name, argv in attempts.items():
        folder = tmp_path / name.replace(" ", "-").replace(",", "")
        folder.mkdir()
        stdout, stderr = io.StringIO(), io.StringIO()
        code = main(argv, environ=runner_env(folder), stdout=stdout, stderr=stderr)
        assert code == 2, name
        shown = _everything_written(folder, stdout.getvalue(), stderr.getvalue())
        assert SECRET not in shown, (name, shown)
        assert "--audit" in parse_github_output((folder / "out").read_text())["error"], name


def test_the_json_document_follows_the_resolved_json_option(tmp_path: Path) -> None:
    """`json` is one boolean, read once: an input `yes` (which the resolver takes as true) or
    the `--js` argparse accepts for `--json` gives the one JSON document on stdout, as `--json`
    does, on success and on failure; not human lines with the document among them."""
    logs = REPO_ROOT / "examples" / "logs" / "pytest-failure.zip"
    ok = ["analyse-failure", "--provider", "none", "--logs", str(logs)]
    bad = ["analyse-failure", "--provider", "none", "--run-id", "x"]
    asked = {"input yes": ([], {"INPUT_JSON": "yes"}), "input 1": ([], {"INPUT_JSON": "1"})}
    asked["prefix"] = (["--js"], {})
    for name, (extra, environ) in asked.items():
        for outcome, argv in (("ok", ok), ("bad", bad)):
            folder = tmp_path / f"{name.replace(' ', '-')}-{outcome}"
            folder.mkdir()
            stdout = io.StringIO()
            code = main(
                [*argv, *extra], environ=runner_env(folder) | environ,
                stdout=stdout, stderr=io.StringIO(),
            )  # fmt: skip
            assert code == (0 if outcome == "ok" else 2), (name, outcome)
            document = json.loads(stdout.getvalue())  # one document, nothing else
            assert ("error" in document) is (outcome == "bad"), (name, outcome)


def test_malformed_action_inputs_are_a_usage_error_with_outputs(tmp_path: Path) -> None:
    """`CICD_AGENT_INPUTS` was read for the mode and for `json` before the one exit path was
    in place: a malformed value escaped `main` as a traceback, with no outputs or summary."""
    for argv in (["review", "--provider", "none"], []):
        folder = tmp_path / (argv[0] if argv else "no-argv")
        folder.mkdir()
        environ = runner_env(folder) | {"CICD_AGENT_INPUTS": '{"mode": "review",'}
        stdout = io.StringIO()
        code = main(argv, environ=environ, stdout=stdout, stderr=io.StringIO())
        assert code == 2, argv
        error = parse_github_output((folder / "out").read_text())["error"]
        assert error.startswith("CICD_AGENT_INPUTS is not valid JSON"), argv
        assert "Exit code 2." in (folder / "summary").read_text()


def test_a_reader_that_stops_reading_changes_no_exit_code() -> None:
    """``cicd-agent … | head`` closes standard output before the report is written: the run
    still exits as it would have (here 0), not as an internal error."""
    script = Path(sys.executable).parent / "cicd-agent"
    argv = [str(script), "analyse-failure", "--provider", "none",
            "--logs", str(REPO_ROOT / "examples/logs/pytest-failure.zip")]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # no reader left before the first line is written
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, errors
    assert "BrokenPipeError" not in errors and "internal error" not in errors


def test_attack_a_distribution_whose_mode_does_not_load_stops_no_other_mode(
    tmp_path: Path,
) -> None:
    """Another distribution registering a mode whose module raises on import, or that names no
    ModePlugin, leaves every other mode running; naming it is a usage error (exit 2) in one
    line saying what to fix, with the outputs written (before: every mode, even ``--help``,
    ended in a traceback and exit 1, which reads as a fail-on threshold met)."""
    python = installation(tmp_path / "env")
    site = site_packages(python)
    info = site / "broken_modes-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "raises_on_import.py").write_text("raise RuntimeError('half installed')\n")
    (info / "entry_points.txt").write_text(
        "[cicd_agent.modes]\nbroken = raises_on_import:PLUGIN\nnotaplugin = json:dumps\n"
    )
    env = {**os.environ, **runner_env(tmp_path)}
    cli = [str(python), "-I", "-m", "cicd_agent"]
    listed = subprocess.run([*cli, "--help"], capture_output=True, text=True, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "analyse-failure" in listed.stdout and "broken" not in listed.stdout
    analysed = subprocess.run(
        [*cli, "analyse-failure", "--provider", "none", "--json",
         "--logs", str(REPO_ROOT / "examples" / "logs" / "pytest-failure.zip")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr
    assert json.loads(analysed.stdout)["failure_type"] == "test_failure"
    for name, reason in (("broken", "RuntimeError: half installed"), ("notaplugin", "ModePlugin")):
        named = subprocess.run([*cli, name, "--json"], capture_output=True, text=True, env=env)
        assert named.returncode == 2, named.stderr
        document = json.loads(named.stdout)
        assert document["exit_code"] == 2 and reason in document["error"], named.stderr
        assert "uninstall the distribution" in document["error"]
        assert "Traceback" not in named.stderr
        outputs = parse_github_output((tmp_path / "out").read_text())
        assert reason in outputs["error"]


def test_attack_a_mode_whose_plugin_misses_a_part_is_named_not_a_bug(tmp_path: Path) -> None:
    """A plugin whose builder names nothing, or whose ``MODE`` lacks ``failure_outputs``, is
    the plugin's mistake: exit 2 naming the mode and the part (before: exit 3 "a bug in
    cicd-agent" for the first, a traceback and exit 1 for the second)."""
    python = installation(tmp_path / "env")
    site = site_packages(python)
    info = site / "half_modes-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "entry_points.txt").write_text(
        "[cicd_agent.modes]\nnofailure = half_a:PLUGIN\nnobuilder = half_b:PLUGIN\n"
    )
    whole = (
        "class Half:\n"
        "    name = 'NAME'\n"
        "    fail_closed_outputs: dict[str, str] = {}\n"
        "    def run(self, ctx):\n"
        "        raise AssertionError('never reached')\n"
    )
    for package, name, builder, failure in (
        ("half_a", "nofailure", "options:Options.from_given", ""),
        ("half_b", "nobuilder", "options:Optoins.from_given",
         "    def failure_outputs(self, ctx):\n        return {}\n"),
    ):  # fmt: skip
        folder = site / package
        folder.mkdir()
        (folder / "__init__.py").write_text(
            "from cicd_agent.plugins import ModePlugin\n"
            f"PLUGIN = ModePlugin({name!r}, {package!r}, 'half a mode', {builder!r})\n"
        )
        (folder / "arguments.py").write_text("FAIL_ON_CHOICES = ()\nOPTIONS = ()\n")
        (folder / "options.py").write_text(
            "class Options:\n    @classmethod\n    def from_given(cls, given):\n        return cls()\n"
        )
        (folder / "mode.py").write_text(whole.replace("NAME", name) + failure + "MODE = Half()\n")
    env = {**os.environ, **runner_env(tmp_path)}
    cli = [str(python), "-I", "-m", "cicd_agent"]
    for name, part in (("nofailure", "its MODE has no failure_outputs"),
                       ("nobuilder", "'options:Optoins.from_given' names nothing in half_b")):  # fmt: skip
        named = subprocess.run([*cli, name, "--json"], capture_output=True, text=True, env=env)
        assert named.returncode == 2, named.stderr
        error = json.loads(named.stdout)["error"]
        assert f"The mode {name!r} is installed but cannot be loaded: {part}." in error, error
        assert "Traceback" not in named.stderr and "bug in cicd-agent" not in error
