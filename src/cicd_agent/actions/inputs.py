"""Action inputs as the runner hands them over: ``INPUT_SOME-NAME`` variables, or all at once.

Our composite action passes every input as ``CICD_AGENT_INPUTS`` (``toJSON(inputs)``), so a new
input needs no ``env:`` line; ``INPUT_*`` win over the JSON, and an empty value is "not given".
In the runner layer because the model layer reads its key and URL inputs too."""

from __future__ import annotations

import json
from collections.abc import Mapping

from cicd_agent.actions.errors import UsageError

INPUTS_JSON_VARIABLE = "CICD_AGENT_INPUTS"


def input_value(environ: Mapping[str, str], name: str) -> str | None:
    """The action input ``name`` from the environment, or None when it is not given."""
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
        value = environ.get(key)
        if value is not None and value.strip() != "":
            return value.strip()
    from_json = inputs_json(environ).get(name)
    return from_json.strip() if isinstance(from_json, str) and from_json.strip() else None


def inputs_json(environ: Mapping[str, str]) -> dict[str, object]:
    """The action's inputs as the composite action passes them (``toJSON(inputs)``), each
    under its name in lower case."""
    raw = environ.get(INPUTS_JSON_VARIABLE)
    if not raw:
        return {}
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{INPUTS_JSON_VARIABLE} is not valid JSON: {exc.msg}.") from exc
    except RecursionError:
        raise UsageError(f"{INPUTS_JSON_VARIABLE} is nested too deeply.") from None
    if not isinstance(document, dict):
        raise UsageError(f"{INPUTS_JSON_VARIABLE} must be a JSON object of action inputs.")
    # The runner compares input names without case and keeps the workflow's spelling: a
    # `Fail-On:` is the `fail-on` input, not an unknown one (action.yml's names are lower case).
    return {name.lower(): value for name, value in document.items()}
