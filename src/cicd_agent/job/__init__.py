"""One run as a mode sees it: its options, event, repository config, context, steps and result.

Why together: every mode receives these five things and returns the sixth, and the CLI builds
them in this order; keeping them in one folder makes the mode layer's one dependency on
"the run" one arrow. The pieces options are declared and parsed with are here too
(:mod:`.flags`); the CLI and the registry that builds its parser stay outside (they load the
modes; the modes import this package), so no circle forms.

What each module holds: ``flags`` (how a mode's options are declared and parsed, and a ``fail-on``
checked against the mode's choices), ``options``, ``resolve`` (where a run starts: its options by
precedence, the settings from the trusted commit, the event file read), ``events`` (the run's event
and the checks that a mode got the one it needs), ``payloads`` (the event payloads' typed views,
validated when an event file is read), ``repo_config``, ``context`` (the run context, and what it
records: notes, the tools that ran as ``ToolRun``s; the model's provider, whose settings are
validated only when a provider or a model setting is given), ``posted`` (what posting learnt),
``pipeline`` (the ``Mode`` protocol; ``begin``, ``ask_model`` and ``finish``, the parts every mode
shares, and where a run ends: ``BaseResult``, the result every mode returns, and its renderings,
which ``finish`` writes; ``PlainResult``, its base of dataclasses, whose field a result marks
``NOT_SHOWN`` when no rendering shows it).
"""
