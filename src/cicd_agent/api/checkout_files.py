"""The API's checkout-files facet: a path of the checkout a pull request shaped, checked
not to lead out of it (:func:`checked_path`). Reading and walking its files is in
:mod:`cicd_agent.api` (:func:`read_text`, :func:`walk_files`, ...)."""

from __future__ import annotations

from cicd_agent.local.checkout_files import checked_path

__all__ = ["checked_path"]
