"""The decide step's part of the fix: the floor's and the model's patches joined as data, the
attempt collect made left as it was, and the verified files carried to publish but never shown."""

from __future__ import annotations

import json

from cicd_agent.analysis.redact import Redactor
from cicd_agent.modes.analyse_failure.fix.attempt import FixAttempt, ModelPatches, with_model
from cicd_agent.modes.analyse_failure.fix.outcome import fix_outcome
from cicd_agent.verify.contract import Patch, Verification

DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
FILE_TEXT = "x = 2  # the verified file's whole text\n"


def _refused(source: str) -> Verification:
    return Verification(Patch(DIFF + source, "fixer", "ruff --fix"), False, "still fails")


def _verified() -> Verification:
    patch = Patch(DIFF, "model", "set x to 2")
    return Verification(patch, True, "passes twice", files=(("app.py", FILE_TEXT),))


def test_the_models_patches_follow_the_floors_and_the_collected_attempt_is_not_changed() -> None:
    floor = FixAttempt("suggest", verifications=[_refused("a")], notes=["No deterministic fix."])
    joined = with_model(floor, ModelPatches((_verified(),), ()))
    assert [v.verified for v in joined.verifications] == [False, True]
    assert joined.offered is not None and joined.offered.patch.source == "model"
    assert (len(floor.verifications), floor.notes, floor.offered) == (
        1,
        ["No deterministic fix."],
        None,
    )
    assert with_model(floor, None) is floor


def test_the_model_proposing_nothing_is_said_in_the_reason() -> None:
    floor = FixAttempt("pr", notes=["No deterministic fix: no known tool failed."])
    outcome = fix_outcome(
        with_model(floor, ModelPatches((), ("The model proposed no patch.",))),
        patch_path="/tmp/fix.patch",
        redact=Redactor().redact,
    )
    assert outcome.status == "none"
    assert outcome.reason.endswith("The model proposed no patch.")


def test_the_verified_files_reach_publish_but_no_rendering_of_the_result() -> None:
    outcome = fix_outcome(
        with_model(FixAttempt("pr"), ModelPatches((_verified(),))),
        patch_path="/tmp/fix.patch",
        redact=Redactor().redact,
    )
    assert outcome.status == "verified"
    assert outcome.verified_files == (("app.py", FILE_TEXT),)
    shown = [outcome.model_dump_json(), json.dumps(outcome.model_dump(mode="json")), repr(outcome)]
    assert not [text for text in shown if "whole text" in text or "verified_files" in text]
