"""Find why a CI run failed from its logs: streaming, deterministic, bounded in memory.

``sources.load_logs`` reads a run-logs zip, a folder or a text file into ``JobLog`` streams;
``analyse.scan_jobs`` streams each once and ``analyse.analyse_scans`` judges the scans (as often
as asked) into a ``LogAnalysis``: failed jobs and steps, failure type, root-cause line,
responsible files, a budgeted and redacted excerpt for the model.
"""
