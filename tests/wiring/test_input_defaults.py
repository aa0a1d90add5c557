"""The inputs' defaults agree between the command line, action.yml and the docs, and are the
ones every mode's code uses."""

from __future__ import annotations

from tests.harness.payloads import REPO_ROOT

ROOT = REPO_ROOT


def test_input_defaults_agree_between_the_cli_action_yml_and_the_readme() -> None:
    """The tables show the CLI's default where action.yml leaves an input empty; where
    action.yml or its description states a default too, they agree; and the stated defaults are
    the ones the code uses."""
    import re

    import yaml
    from tools import readme_tables

    from cicd_agent.model.config import DEFAULT_FAST_MODEL, DEFAULT_MODEL, DEFAULT_TIMEOUT
    from cicd_agent.modes.deploy_gate.windows import DEFAULT_BUSINESS_HOURS
    from cicd_agent.modes.gen_tests.arguments import DEFAULT_TEST_COMMAND

    cli: dict[str, str] = readme_tables.cli_defaults()
    assert cli["model"] == DEFAULT_MODEL and cli["fast-model"] == DEFAULT_FAST_MODEL
    assert float(cli["model-timeout"]) == DEFAULT_TIMEOUT
    assert cli["test-command"] == DEFAULT_TEST_COMMAND
    assert cli["business-hours"] == DEFAULT_BUSINESS_HOURS
    inputs = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    readme = (ROOT / "docs" / "inputs-outputs.md").read_text()
    for name, spec in inputs.items():
        if name not in cli:
            continue
        if spec.get("default", "") != "":
            assert str(spec["default"]) == cli[name], name
        said = re.search(r"default:? (\d[\d,.]*|UTC)\b", str(spec.get("description", "")))
        if said:
            assert said.group(1).replace(",", "") == cli[name], name
        assert f"| `{name}` | no | `{cli[name]}` |" in readme, name
    for name in ("report-on", "max-findings", "test-timeout", "approval-confidence",
                 "failure-window-days", "model", "phase"):  # fmt: skip
        assert name in cli, f"--{name} states no default in its help"
