"""Compliance records the State Council's working-day schedule before the holidays package
knows it (docs/architecture.md#clock): extra days off, make-up working days, and years now published.

The calendar services recompute the stored due dates and, on commit, tell suppliers
(``calendar_changed``) to recompute the customs windows of held shipments.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core.api.fields import valid_id
from core.permissions import role_required
from core.roles import Role
from core.views import apply_errors

from ..forms import DATE
from ..models import CalendarOverride, PublishedCalendarYear
from ..services import calendar_override_delete, calendar_override_save, published_year_save


class OverrideForm(forms.Form):
    date = forms.DateField(widget=DATE)
    kind = forms.ChoiceField(choices=CalendarOverride.Kind.choices)
    note = forms.CharField(max_length=200, required=False, help_text="E.g. the State Council notice.")


class PublishedYearForm(forms.Form):
    year = forms.IntegerField(min_value=2015, max_value=2040)
    source = forms.CharField(max_length=300, required=False)


@role_required(Role.VIEWER, write_role=Role.COMPLIANCE)
def working_calendar(request: HttpRequest) -> HttpResponse:
    override_form, year_form = OverrideForm(prefix="day"), PublishedYearForm(prefix="year")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "day":
                override_form = OverrideForm(request.POST, prefix="day")
                if not override_form.is_valid():
                    raise ValidationError({})
                calendar_override_save(actor=request.user, **override_form.cleaned_data)
            elif request.POST.get("action") == "year":
                year_form = PublishedYearForm(request.POST, prefix="year")
                if not year_form.is_valid():
                    raise ValidationError({})
                published_year_save(actor=request.user, **year_form.cleaned_data)
            else:
                pk = request.POST.get("delete", "")
                override = get_object_or_404(CalendarOverride, pk=valid_id(pk) or 0)
                calendar_override_delete(override=override, actor=request.user)
        except ValidationError as exc:
            form = override_form if request.POST.get("action") == "day" else year_form
            if getattr(exc, "error_dict", None):
                apply_errors(exc, form)
        else:
            messages.success(request, "Calendar saved; the due dates and customs windows that depend on it follow.")
            return redirect("working-calendar")
    return render(
        request,
        "licensing/working_calendar.html",
        {
            "overrides": CalendarOverride.objects.all(),
            "years": PublishedCalendarYear.objects.all(),
            "override_form": override_form,
            "year_form": year_form,
        },
    )
