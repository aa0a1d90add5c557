"""The API's checkout-files facet: files of the checkout a pull request shaped, read and
written without following a link out of it (:func:`read_text`, :func:`walk_files`,
:func:`create_file`, ...; each refusal a :class:`CheckoutFileError`)."""

from __future__ import annotations

from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    checked_path,
    create_file,
    is_file,
    lexists,
    read_text,
    unlinked,
    walk_every_name,
    walk_files,
)

__all__ = [
    "CheckoutFileError",
    "checked_path",
    "create_file",
    "is_file",
    "lexists",
    "read_text",
    "unlinked",
    "walk_every_name",
    "walk_files",
]
