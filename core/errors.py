"""Domain errors raised by services and shown to people and ERP systems as they are.

They are Django ``ValidationError``s (a message per field, ``"__all__"`` when no field is to
blame), so forms show them beside the field and the API turns them into its error shape.

A database constraint's violation is one of them too: every CheckConstraint and
UniqueConstraint is declared with ``core.models.field_check`` or ``field_unique``, which
register here the field it is about and its message in plain words. ``full_clean`` (forms,
services, the import) and an ``IntegrityError`` from the database itself (a race, a bulk
write) then read the same message beside the same field, never the constraint's name.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """Bad input: the API answers 400."""

    status_code = 400


class ConflictError(DomainError):
    """The request is well formed but conflicts with the current state: the API answers 409."""

    status_code = 409


def field_error(field: str, message: str, *, code: str = "invalid", cls=DomainError, params=None) -> DomainError:
    return cls({field: ValidationError(message, code=code, params=params)})


# Constraint name -> the field its violation is about, and its message in plain words.
CONSTRAINT_FIELDS: dict[str, str] = {}
CONSTRAINT_MESSAGES: dict[str, str] = {}
UNIQUE_CONSTRAINTS: set[str] = set()


def register_constraint(name: str, *, field: str, message: str, unique: bool = False) -> None:
    CONSTRAINT_FIELDS[name] = field
    CONSTRAINT_MESSAGES[name] = message
    if unique:
        UNIQUE_CONSTRAINTS.add(name)


def constraint_errors_to_fields(exc: ValidationError) -> dict[str, list]:
    """The errors of a full_clean by field, a named constraint's message moved from the
    non-field errors to the field it is about."""
    errors: dict[str, list] = dict(exc.error_dict) if hasattr(exc, "error_dict") else {"__all__": exc.error_list}
    rest = []
    for error in errors.pop("__all__", []):
        field = CONSTRAINT_FIELDS.get(getattr(error, "code", None) or "")
        if field:
            errors.setdefault(field, []).append(error)
        else:
            rest.append(error)
    if rest:
        errors["__all__"] = rest
    return errors


_KEY_COLUMNS = re.compile(r"Key \(([^)]*)\)=")
# SQLite names a CHECK constraint it refused, and a UNIQUE one only by its columns.
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+\.\w+(?:, \w+\.\w+)*)")


def _unique_constraint_on(table: str, columns: list[str]) -> str:
    """The name of the model's UniqueConstraint on exactly these columns, or ''."""
    from django.apps import apps
    from django.db.models import UniqueConstraint

    for model in apps.get_models():
        if model._meta.db_table != table:
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.fields and [
                model._meta.get_field(name).column for name in constraint.fields
            ] == columns:
                return constraint.name
    return ""


def _refused_by(exc: Exception) -> tuple[str, bool, list[str]]:
    """(constraint name, unique?, key columns) of an IntegrityError, as far as the database says."""
    cause = getattr(exc, "__cause__", None)
    diag = getattr(cause, "diag", None)
    if diag is not None:  # PostgreSQL
        match = _KEY_COLUMNS.search(getattr(diag, "message_detail", None) or "")
        columns = [c.strip().strip('"') for c in match[1].split(",")] if match else []
        name = getattr(diag, "constraint_name", None) or ""
        return name, getattr(cause, "sqlstate", None) == "23505" or name in UNIQUE_CONSTRAINTS, columns
    text = str(cause or exc)
    if match := _SQLITE_CHECK.search(text):
        return match[1], match[1] in UNIQUE_CONSTRAINTS, []
    if match := _SQLITE_UNIQUE.search(text):
        pairs = [column.split(".", 1) for column in match[1].split(", ")]
        columns = [column for _, column in pairs]
        return _unique_constraint_on(pairs[0][0], columns), True, columns
    return "", False, []


def integrity_error(exc: Exception) -> DomainError:
    """An ``IntegrityError`` from the database as the DomainError full_clean would have raised:
    the registered constraint's field and message (a duplicate key: ConflictError, 409), or for
    a column's own UNIQUE the column named in words. Nothing else is known: a non-field error
    in words, never the constraint's name or the database's text."""
    name, unique, columns = _refused_by(exc)
    cls = ConflictError if unique else DomainError
    if name in CONSTRAINT_FIELDS:
        code = "unique" if unique else "constraint"
        return field_error(CONSTRAINT_FIELDS[name], CONSTRAINT_MESSAGES[name], code=code, cls=cls)
    if unique:
        if len(columns) == 1 and columns[0].isidentifier():
            field = columns[0].removesuffix("_id")
            label = field.replace("_", " ")
            return field_error(field, f"Another record has this {label} already.", code="unique", cls=cls)
        return field_error("__all__", "A record with this key exists already.", code="unique", cls=cls)
    return field_error("__all__", "The data breaks a rule of the database.", code="constraint", cls=cls)
