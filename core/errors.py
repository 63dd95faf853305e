"""Domain errors raised by services and shown to people and ERP systems as they are.

They are Django ``ValidationError``s (a message per field, ``"__all__"`` when no field is to
blame), so forms show them beside the field and the API turns them into its error shape.
"""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """Bad input: the API answers 400."""

    status_code = 400


class ConflictError(DomainError):
    """The request is well formed but conflicts with the current state: the API answers 409."""

    status_code = 409


def field_error(field: str, message: str, *, code: str = "invalid", cls=DomainError, params=None) -> DomainError:
    return cls({field: ValidationError(message, code=code, params=params)})
