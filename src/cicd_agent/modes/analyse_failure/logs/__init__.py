"""Find why a CI run failed from its logs: streaming, deterministic, bounded in memory.

``sources.load_logs`` reads a run-logs zip, a folder or a text file into ``JobLog`` streams;
``analyse.scan_jobs`` streams each once and ``analyse.analyse_scans`` judges the scans (as often
as asked) into a ``LogAnalysis``: failed jobs and steps, failure type, root-cause line,
responsible files, a budgeted and redacted excerpt for the model.

analyse-failure's alone and the one home for reading a failed run's logs:
- reading: ``sources`` (a run-logs zip, a folder or a file), ``runner_format`` (the runner's
  line prefixes and step markers), ``reader`` (one streaming pass), ``baseline`` (the last green
  run's lines, dropped);
- finding: ``signatures`` (with ``signatures.toml``), ``region``, ``mixed`` (with ``noise``: the
  network's lines against a real failure), ``classify`` (with ``failure_advice.json``, the advice
  per failure type: ``advice_for``), ``flaky``;
- placing: ``files`` (with ``checkout_places``: where a named path is in the checkout;
  ``source_maps``: a built JavaScript frame's source; ``syntax_place``: the file a syntax error
  names; ``labels``: the lines a compiler's labels name; ``doctests``: a doctest's line;
  ``stylish``: eslint's file-over-lines report; ``on_change``: a finding against the change);
- the tests: ``runner_reports`` (which lines are a test's, which tests failed), ``test_blocks``
  (each failed test's report as its runner opens it),
  ``pytest_reports`` (pytest's own report order and count), ``test_messages`` (why a failing test
  failed, as its report says), ``source_lines`` (the checkout's line a log names);
- ``excerpt``, ``judge`` (one job's log judged on its own) and ``analyse`` (all of it into a
  ``LogAnalysis``, stage by stage).
What it stands on: the result types it fills (the mode's
``log_facts``), from the core the run history, the runners' log shapes (``runners/shapes.py``,
which loads no runner's run); a runner's own log knowledge stays in its folder (``log.py``,
``log.toml``, its shape's ``places``).
"""
