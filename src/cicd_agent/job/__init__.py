"""One run as a mode sees it: its options, event, repository config, context, steps and result.

Why together: every mode receives these five things and returns the sixth, and the CLI builds
them in this order; keeping them in one folder makes the mode layer's one dependency on
"the run" one arrow. The pieces options are declared and parsed with are here too
(:mod:`.flags`); the CLI and the registry that builds its parser stay outside (they load the
modes; the modes import this package), so no circle forms.
"""
