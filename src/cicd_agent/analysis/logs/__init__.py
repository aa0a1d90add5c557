"""What more than analyse-failure needs of a failed run: the log analysis's result types
(``model``) and the judgement of test history (``history``), which the github layer's run
history reads too. The log reading itself lives in the mode (``modes/analyse_failure/logs``)."""
