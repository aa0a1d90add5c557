"""Reliability and security tests across every mode: the fault matrix and its drivers."""
