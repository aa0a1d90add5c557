"""A corpus of failed CI runs built from real tools, for the analyse-failure evidence."""
