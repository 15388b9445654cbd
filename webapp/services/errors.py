"""Domain errors raised by services; the pages and the API turn them into responses."""


class DomainError(Exception):
    """Base class; `message` is safe to show to the user."""

    status = 400

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "You do not have permission to perform this action."):
        super().__init__(message)


class Conflict(DomainError):
    status = 409


class ValidationFailed(DomainError):
    """Field errors: {field: [message, …]}; the field "__all__" holds form-wide errors."""

    status = 400

    def __init__(self, field_errors: dict[str, list[str]],
                 resource_rows: dict[int, dict[str, list[str]]] | None = None):
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in field_errors.items()))
        self.field_errors = field_errors
        # Errors of repeated sub-records by their submitted index (a doc integration's
        # resource rows): {index: {field: [message, …]}}.
        self.resource_rows = resource_rows or {}


class StaleEdit(Conflict):
    """The record changed since the form was loaded; `changes` lists what is different now."""

    def __init__(self, changes: dict[str, tuple[object, object]] | None = None):
        super().__init__(
            "This record was changed by someone else since you opened it. "
            "Nothing was saved; review the current values and try again."
        )
        self.changes = changes or {}
