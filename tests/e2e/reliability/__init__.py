"""Reliability and security tests across every mode (issue 8): the fault matrix and its drivers."""
