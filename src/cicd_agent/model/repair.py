"""The structured call's one repair round: the validation errors, sent back to the model.

An answer that does not fit the schema gets one more chance with the errors listed (never the
values that failed: they are the model's own text, and may be long); a second misfit is a
ModelError naming the first problem.
"""

from __future__ import annotations

from pydantic import ValidationError

MAX_LISTED_ERRORS = 20
"""Validation errors sent back in a repair prompt; more would only spend tokens."""


def problems(exc: ValidationError) -> str:
    """Validation errors as short lines, without the offending input values."""
    lines = [
        f"- {'.'.join(str(part) for part in err['loc']) or '(root)'}: {err['msg']}"
        for err in exc.errors(include_url=False, include_input=False)[:MAX_LISTED_ERRORS]
    ]
    if exc.error_count() > MAX_LISTED_ERRORS:
        lines.append(f"- … and {exc.error_count() - MAX_LISTED_ERRORS} more")
    return "\n".join(lines)


def repair_prompt(exc: ValidationError) -> str:
    """The follow-up message of the one repair round."""
    return (
        "Your previous answer did not match the required JSON schema:\n"
        f"{problems(exc)}\n"
        "Answer again with only the corrected JSON object that matches the schema. "
        "Keep the substance of your answer; fix only its form."
    )
