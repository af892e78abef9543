"""Domain exceptions shared by every package. Services raise these; the web layer maps them to
HTML pages, HTMX fragments or problem+json (404, 403, 409, 422)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose. ``message`` is an English msgid."""

    status_code = 400

    def __init__(self, message: str = "", **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class BadInput(DomainError):
    """A request no field rule can read (a NUL byte, JSON nested too deeply): 400."""

    status_code = 400


class NotFound(DomainError):
    """Missing — or belonging to another tenant: the two must look exactly alike."""

    status_code = 404

    def __init__(self, message: str = "Not found.", **params: object) -> None:
        super().__init__(message, **params)


class Forbidden(DomainError):
    status_code = 403

    def __init__(self, message: str = "You are not allowed to do this.", **params: object) -> None:
        super().__init__(message, **params)


class Conflict(DomainError):
    """A duplicate, or a stale edit (optimistic locking)."""

    status_code = 409


class ValidationFailed(DomainError):
    """Bad input. ``errors`` maps a field name (or ``row 12``, ``line 3``) to a msgid."""

    status_code = 422

    def __init__(self, errors: dict[str, str], message: str = "Please correct the marked fields.") -> None:
        super().__init__(message)
        self.errors = errors
