"""Forms of the notifications pages. They parse input only; the services validate the rules."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings

from .models import Kind
from .services import WEBHOOK_EVENT_TYPES

MODE_CHOICES = [("immediate", "Immediately"), ("digest", "Daily digest"), ("off", "Off")]


def _leads(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise forms.ValidationError("Give whole numbers separated by commas, e.g. 10, 5, 1.") from None
    if any(v < 0 or v > 365 for v in values):
        raise forms.ValidationError("Each lead time must be from 0 to 365 days.")
    return values


class PreferenceForm(forms.Form):
    """One mode per kind, lead times per kind (blank: the team default), zone and digest hour."""

    time_zone = forms.CharField(max_length=64, required=False, help_text="e.g. Europe/Berlin; blank: the default.")
    digest_hour = forms.IntegerField(min_value=0, max_value=23, required=False,
                                     help_text="Local hour of the daily digest (0-23).")

    def __init__(self, *args, recipient=None, preference=None, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in Kind:
            initial = recipient.mode(kind) if recipient else "immediate"
            self.fields[f"mode_{kind.value}"] = forms.ChoiceField(label=kind.label, choices=MODE_CHOICES,
                                                                  initial=initial)
        for kind, default in settings.ALERT_LEAD_TIMES.items():
            mine = (preference.lead_times.get(kind) if preference else None) or []
            self.fields[f"leads_{kind}"] = forms.CharField(
                label=f"{Kind(kind).label}: lead times", required=False, initial=", ".join(map(str, mine)),
                help_text=f"Days before (blank: {', '.join(map(str, default))}).",
            )
        if preference:
            self.fields["time_zone"].initial = preference.time_zone
            self.fields["digest_hour"].initial = preference.digest_hour

    def clean_time_zone(self) -> str:
        name = self.cleaned_data.get("time_zone") or ""
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(f"'{name}' is not a time zone (e.g. Europe/Berlin).") from None
        return name

    def clean(self):
        data = super().clean()
        for kind in settings.ALERT_LEAD_TIMES:
            try:
                data[f"leads_{kind}"] = _leads(data.get(f"leads_{kind}") or "")
            except forms.ValidationError as exc:
                self.add_error(f"leads_{kind}", exc)
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "kinds": {kind.value: d[f"mode_{kind.value}"] for kind in Kind},
            "lead_times": {kind: d[f"leads_{kind}"] for kind in settings.ALERT_LEAD_TIMES if d[f"leads_{kind}"]},
            "time_zone": d.get("time_zone") or "",
            "digest_hour": d.get("digest_hour"),
        }


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.URLField(max_length=500, label="URL", assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(e, e) for e in WEBHOOK_EVENT_TYPES], required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )
    active = forms.BooleanField(required=False, initial=True)
