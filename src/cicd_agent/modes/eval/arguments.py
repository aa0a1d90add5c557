"""The eval mode's command-line options, declared as data: ``cicd-agent eval --help`` reads
this module and nothing else of the mode. Each is a flag and a key of the settings file, which
the action reads from the base branch: a pull request cannot loosen the gate it is judged by."""

from __future__ import annotations

from cicd_agent.plugins import Option, OptionGroup, at_least

FAIL_ON_CHOICES: tuple[str, ...] = ("regressed", "insufficient")
"""``regressed``: the head is worse by the paired test, under ``min-pass-rate``, or failed a
``must-pass`` case; ``insufficient``: the suite could not have seen a drop of ``max-detectable``
(or the run stopped at ``max-cost``), or it regressed."""
RESULTS_FORMATS = ("promptfoo", "inspect", "junit")

OPTIONS: tuple[OptionGroup, ...] = (
    OptionGroup(
        "eval options",
        Option("base", "base commit (default: the event's base)", setting=False, action_input=True),
        Option(
            "head",
            "head commit (default: the event's head, else HEAD)",
            setting=False,
            action_input=True,
        ),
        Option(
            "config",
            "the promptfoo config, relative to the repository (default promptfooconfig.yaml)",
        ),
        Option("repeats", "samples of each case on each side (default 3)", kind=at_least(1)),
        Option(
            "max-drop",
            "the smallest drop in points that counts as a regression (default 2)",
            kind=float,
        ),
        Option(
            "max-detectable",
            "insufficient when the suite cannot catch a drop this large, in "
            "points, 80%% of the time (default 10)",
            kind=float,
        ),
        Option("min-pass-rate", "the head's pass rate must reach this share (0-1)", kind=float),
        Option(
            "must-pass",
            "cases (their description) that must pass every sample on the head, comma-separated",
        ),
        Option(
            "max-cost",
            "stop asking once the run has cost this many dollars (the verdict is "
            "then insufficient)",
            kind=float,
        ),
        Option("cache-dir", "where answers are kept by request and sample (errors never are)"),
        Option("base-results", "read the base's results from this file instead of asking"),
        Option("head-results", "read the head's results from this file instead of asking"),
        Option(
            "results-format",
            "the results files' format: promptfoo, inspect or junit",
            choices=RESULTS_FORMATS,
        ),
    ),
)
