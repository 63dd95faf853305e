"""Compliance records the State Council's working-day schedule before the holidays package
knows it (DESIGN §4.2): extra days off, make-up working days, and years now published.

It lives in suppliers because a change moves both the applications' due dates (licensing)
and the held shipments' customs windows (suppliers): both are recomputed at once.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core.permissions import role_required
from core.roles import Role
from core.views import apply_errors
from licensing.forms import DATE
from licensing.models import CalendarOverride, PublishedCalendarYear
from licensing.services import applications_refresh_clocks

from ..services import shipments_refresh_customs_due


class OverrideForm(forms.Form):
    date = forms.DateField(widget=DATE)
    kind = forms.ChoiceField(choices=CalendarOverride.Kind.choices)
    note = forms.CharField(max_length=200, required=False, help_text="E.g. the State Council notice.")


class PublishedYearForm(forms.Form):
    year = forms.IntegerField(min_value=2015, max_value=2040)
    source = forms.CharField(max_length=300, required=False)


def _recompute() -> tuple[int, int]:
    # Every stored due date and customs window that rests on the calendar follows the change.
    return applications_refresh_clocks(), shipments_refresh_customs_due()


@role_required(Role.VIEWER, write_role=Role.COMPLIANCE)
def working_calendar(request: HttpRequest) -> HttpResponse:
    override_form, year_form = OverrideForm(prefix="day"), PublishedYearForm(prefix="year")
    if request.method == "POST":
        try:
            with transaction.atomic():
                if request.POST.get("action") == "day":
                    override_form = OverrideForm(request.POST, prefix="day")
                    if not override_form.is_valid():
                        raise ValidationError({})
                    row = CalendarOverride(**override_form.cleaned_data)
                    row._history_user = request.user
                    row.full_clean()
                    row.save()
                elif request.POST.get("action") == "year":
                    year_form = PublishedYearForm(request.POST, prefix="year")
                    if not year_form.is_valid():
                        raise ValidationError({})
                    row = PublishedCalendarYear(**year_form.cleaned_data)
                    row.full_clean()
                    row.save()
                else:
                    pk = request.POST.get("delete", "")
                    get_object_or_404(CalendarOverride, pk=int(pk) if pk.isdigit() else 0).delete()
                apps, shipments = _recompute()
        except ValidationError as exc:
            form = override_form if request.POST.get("action") == "day" else year_form
            if getattr(exc, "error_dict", None):
                apply_errors(exc, form)
        else:
            messages.success(request, f"Calendar saved; {apps} due dates and {shipments} customs windows recomputed.")
            return redirect("/policy/calendar/")
    return render(
        request,
        "suppliers/working_calendar.html",
        {
            "overrides": CalendarOverride.objects.all(),
            "years": PublishedCalendarYear.objects.all(),
            "override_form": override_form,
            "year_form": year_form,
        },
    )
