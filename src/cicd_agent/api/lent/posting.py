"""Lent to command, deploy-gate, gen-tests and review, and may change with them: finer parts of
what is posted. A link to what GitHub answered, the runner's I/O and a prompt's token count
(command); whether a name is a secret's (deploy-gate); a text with its references undone
(gen-tests); the limit and the zero-width space of neutralised text, an annotation's level, a
text's code spans and the version a comment names (review)."""

from __future__ import annotations

from cicd_agent import __version__ as VERSION
from cicd_agent.actions.markdown import NEUTRALISE_LIMIT, ZWSP, linked, unreferenced
from cicd_agent.actions.masking import is_secret_name
from cicd_agent.actions.rendered import code_texts
from cicd_agent.actions.runner_io import AnnotationLevel, RunnerIO
from cicd_agent.model.prompts import Count

__all__ = [
    "NEUTRALISE_LIMIT",
    "VERSION",
    "ZWSP",
    "AnnotationLevel",
    "Count",
    "RunnerIO",
    "code_texts",
    "is_secret_name",
    "linked",
    "unreferenced",
]
