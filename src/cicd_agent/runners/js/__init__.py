"""What jest and vitest share: the runner both derive from (``runner``), their report's shape in
a failed log (``log``), their coverage map (``istanbul``), the checks their reporters write
(``checks``), the tests gen-tests writes for them (``tests``, ``layout``, ``script``) and the
files of types alone (``type_only``)."""
