"""One run as a mode sees it: its options, event, repository config, context, steps and result.

Every mode receives the first five and returns the sixth, so the mode layer depends on "the run"
through one folder. The CLI and the registry stay outside (they load the modes, which import this
package), so no circle forms."""
