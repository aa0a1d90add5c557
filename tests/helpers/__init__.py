"""Helpers shared by tests: import these, never another test module."""
