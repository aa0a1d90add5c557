"""Lent to deploy-gate, and may change with it: the modules a Python file imports
(:func:`imported_modules`) and whether it imports one (:func:`imports_module`)."""

from __future__ import annotations

from cicd_agent.analysis.python_imports import imported_modules, imports_module

__all__ = ["imported_modules", "imports_module"]
