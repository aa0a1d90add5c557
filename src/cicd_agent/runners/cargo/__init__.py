"""cargo test: its sandboxed run and in-run check (``runner``), the crate's layout as Cargo reads it
(``crate``) and its report's shape in a failed log (``log``)."""
