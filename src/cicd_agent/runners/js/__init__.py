"""What jest and vitest share: the runner both derive from, their log and coverage readers, and
the tests gen-tests writes for them."""
