"""Serializer and filter fields shared by every resource."""

from __future__ import annotations

import datetime as dt

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_ID = 2**63 - 1


def valid_id(value) -> int | None:
    """An id within the database's range, or None (huge ids would overflow SQLite: a 500)."""
    if isinstance(value, bool):
        return None
    try:
        value = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if 0 < value <= MAX_ID else None


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object written and read by id (docs/architecture.md#api)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if valid_id(data) is None:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(int(data))


class ExternalRefInputMixin:
    """``external_ref`` unique when set (the partial unique constraint), refused by field."""

    external_ref_model = None

    def validate_external_ref(self, value: str) -> str:
        if value:
            others = self.external_ref_model._default_manager.filter(external_ref=value)
            if self.instance is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                name = self.external_ref_model._meta.verbose_name
                raise serializers.ValidationError(f"Another {name} has the external_ref '{value}'.", code="unique")
        return value


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    """Filter by a related object's id: an integer in range (no query to validate it)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _StrictBooleanField(forms.NullBooleanField):
    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError("Give true or false.", code="invalid")

    def validate(self, value):
        pass


class BooleanFilter(filters.BooleanFilter):
    """``true``/``false`` (or 1/0); anything else is a 400, not silently no filter."""

    field_class = _StrictBooleanField

    def __init__(self, *args, **kwargs):
        # django-filter's BooleanWidget turns unknown values into "no filter"; read the raw text.
        kwargs["widget"] = forms.TextInput
        super().__init__(*args, **kwargs)


class InstantFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 instant, compared in UTC: PostgreSQL refuses UTC offsets beyond ±16 hours that
    Python accepts, which would otherwise fail in the database instead of filtering."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(dt.UTC)
            except OverflowError:  # the first instants of year 1, shifted before it
                value = dt.datetime.min.replace(tzinfo=dt.UTC)
        return super().filter(qs, value)


class ApiFilterSet(filters.FilterSet):
    """``external_ref`` and ``updated_since`` on every list (the ERP sync filters).

    A filter given without a value (``updated_since=``) is a 400 naming it: django-filter
    would drop it silently, and a client that sent an empty instant by mistake would get
    every row instead of the changes it asked for."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            if name not in self.data:
                continue
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data[name]]
            if all(str(v).strip() == "" for v in values):
                error = forms.ValidationError("Give a value, or leave the parameter out.", code="blank")
                self.form.add_error(name, error)
                valid = False
        return valid

    external_ref = filters.CharFilter(help_text="The ERP's key (exact).")
    updated_since = InstantFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Rows changed at or after this ISO 8601 instant; without `ordering` the list is then "
        "ordered by `updated_at`, `id` so that an ERP can page through changes.",
    )


def date_range(field: str, label: str) -> tuple[filters.DateFilter, filters.DateFilter]:
    return (
        filters.DateFilter(field_name=field, lookup_expr="gte", help_text=f"{label} on or after (YYYY-MM-DD)."),
        filters.DateFilter(field_name=field, lookup_expr="lte", help_text=f"{label} on or before (YYYY-MM-DD)."),
    )
