"""review: inline comments, a check run, SARIF and a merge gate for a pull request."""
