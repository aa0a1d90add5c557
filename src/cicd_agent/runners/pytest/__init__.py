"""pytest: its sandboxed run and witness (``runner``), its report's shape in a failed log
(``log``), and the files its runs load first (``boot``)."""
