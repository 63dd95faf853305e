"""Write helpers every app's services share: validate a row (or its lines) and save it with the
actor and reason on its history row, turning validation errors into ``DomainError`` (a 400)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from .errors import DomainError, constraint_errors_to_fields, integrity_error


def save_validated(instance, *, actor=None, reason: str = "", update_fields: Sequence[str] | None = None) -> None:
    """full_clean then save, with the actor and reason on the history row."""
    instance._history_user = actor if getattr(actor, "is_authenticated", False) else None
    instance._change_reason = reason or None
    try:
        instance.full_clean(validate_unique=update_fields is None, validate_constraints=update_fields is None)
    except DomainError:
        raise
    except ValidationError as exc:
        # Callers (API, UI, commands) tell bad input from bugs by DomainError: a 400, never a 500.
        raise DomainError(constraint_errors_to_fields(exc)) from exc
    try:
        instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        # Checked above, yet refused by the database: another request wrote the same key in
        # between. The enclosing atomic block rolls back; the caller shows the field's message.
        raise integrity_error(exc) from exc


def field_errors(instance, *, only: Iterable[str] | None = None) -> dict[str, list[str]]:
    """The model's field validators (lengths, codes, text, date range) on ``instance``, without a
    query (relations are left to the caller): what ``full_clean`` would say of those fields. The
    bulk path runs it per row so that it refuses with the same messages as the services."""
    names = set(only) if only is not None else None
    exclude = [
        f.name for f in instance._meta.concrete_fields if f.is_relation or (names is not None and f.name not in names)
    ]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def lines_create(model, owner_field: str, owner, lines: Iterable[Mapping[str, Any]], *, actor=None) -> list:
    """Validate and create line rows, errors keyed ``lines[i].field`` so callers can show them."""
    made = []
    errors: dict[str, list] = {}
    for i, data in enumerate(lines):
        line = model(**{owner_field: owner}, **data)
        line._history_user = actor if getattr(actor, "is_authenticated", False) else None
        try:
            line.full_clean(exclude=[owner_field])
        except ValidationError as exc:
            for name, messages in ValidationError(constraint_errors_to_fields(exc)).message_dict.items():
                errors[f"lines[{i}].{name}"] = messages
        made.append(line)
    if errors:
        raise DomainError(errors)
    for line in made:
        try:
            line.save()
        except IntegrityError as exc:
            raise integrity_error(exc) from exc
    return made
