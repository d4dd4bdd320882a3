"""One error hierarchy: each error carries its HTTP status and a stable code."""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    """Base of every error the platform reports to a user."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        # A more precise stable code than the class's (e.g. "sql_timeout" for a BadRequest).
        if code is not None:
            self.code = code

    def body(self) -> dict[str, Any]:
        """The API error body: {"error": {"code", "message", "details"}}."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ConfigurationError(PlatformError):
    """A setting is missing or unsafe."""

    status = 500
    code = "configuration_error"


class BadRequest(PlatformError):
    """The request is malformed."""

    status = 400
    code = "bad_request"


class NotAuthenticated(PlatformError):
    """No valid session or token was presented."""

    status = 401
    code = "not_authenticated"


class PermissionDenied(PlatformError):
    """The caller is known but may not do this."""

    status = 403
    code = "permission_denied"


class CsrfFailed(PermissionDenied):
    """A form was posted without the session's CSRF token."""

    code = "csrf_failed"


class NotFound(PlatformError):
    """The named object does not exist (or is not visible to the caller)."""

    status = 404
    code = "not_found"


class Conflict(PlatformError):
    """The change conflicts with the current state (duplicate, wrong lifecycle state)."""

    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    """A lifecycle step that the object's current state does not allow."""

    code = "invalid_transition"


class ValidationFailed(PlatformError):
    """Input failed validation; details list the fields and what is wrong with each."""

    status = 422
    code = "validation_failed"

    def __init__(self, message: str, *, errors: list[FieldError]) -> None:
        super().__init__(message, details=[e.as_dict() for e in errors])
        self.errors = errors


class PayloadTooLarge(PlatformError):
    """An upload beyond the configured size limit."""

    status = 413
    code = "payload_too_large"


class InsufficientStorage(PlatformError):
    """The server's disk is full: nothing was stored, the previous data stays as it was."""

    status = 507
    code = "insufficient_storage"


class TelemetryNotWritten(PlatformError):
    """The telemetry history could not be written in time; sending the same values again is
    harmless (the history is idempotent on entity, attribute and observedAt)."""

    status = 503
    code = "telemetry_not_written"


class RateLimited(PlatformError):
    """Too many attempts; try again later."""

    status = 429
    code = "rate_limited"


class HttpError(PlatformError):
    """An error the web framework raised itself (unknown route, wrong method, bad JSON)."""

    def __init__(self, status: int, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.status = status
        self.code = code


class FieldError:
    """One invalid field: its name, a stable code and a human message."""

    __slots__ = ("code", "field", "message")

    def __init__(self, field: str, code: str, message: str) -> None:
        self.field = field
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, str]:
        """The field error as it appears in the API error body."""
        return {"field": self.field, "code": self.code, "message": self.message}

    def __repr__(self) -> str:
        return f"FieldError({self.field!r}, {self.code!r}, {self.message!r})"
