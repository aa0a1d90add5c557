"""review's linters and type checkers: the tools the repository configures, run on the changed
files in a sandbox of their own, their reports read as attacker text, and their errors kept
only where the change brought them. It is a package because it is as large as a mode and can
be read and owned apart; the rest of review reaches it through five names, each imported from
its module (no name is re-exported here):

- ``linters.lint_changes``: the checkers' step (:mod:`cicd_agent.modes.review.checkers`) runs
  the linters and type checkers and gets their findings and the commands that ran;
- ``lint_command.LintCommand`` and ``lint_command.run_lint``: the suggestion check
  (:mod:`cicd_agent.modes.review.keeps_passing`) runs those commands again on a patched copy;
- ``syntax.parse_changed`` and ``syntax.said_once``: the checkers' parse check, and one error
  said once where a linter and the parse check both found it.

Its modules: ``lint_plan`` (which tools run on which files), ``lint_command`` (one run and its
report), ``lint_reports`` (the JSON reports read as data, hits on added lines as findings),
``lint_fixes`` (a linter's own fix as whole lines), ``compile_errors`` (a compiler's or type
checker's errors read as data), ``placer`` (the changed line each error depends on),
``build_errors`` (the findings of the errors so placed), ``base_errors`` (errors the base has
too are not the change's), ``callers`` (the files that import a changed module, handed to
mypy), ``syntax`` and ``linters``.
"""
