"""Forms for the licensing pages. They parse and present; the services decide
(docs/architecture.md#where-rules-live)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory

from core.forms import LabelledFormSet, ServiceModelForm

from .models import (
    LEAD_DAYS_MESSAGE,
    ApplicationStatus,
    ControlledItem,
    Document,
    LicenceApplication,
    LicenceKind,
    PolicyEvent,
    Unit,
)
from .models.applications import TRANSITIONS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ItemChoices:
    """The controlled items, read once per request and shared by every line of a formset
    (a ModelChoiceField per line would query the catalogue once per line)."""

    def __init__(self) -> None:
        self.by_pk = {item.pk: item for item in ControlledItem.objects.only("pk", "code", "name", "elements")}
        self.pk_by_code = {item.code: pk for pk, item in self.by_pk.items()}
        self.choices = [("", "— item —")] + [(str(pk), f"{i.code} – {i.name}") for pk, i in self.by_pk.items()]


class LineFormBase(forms.Form):
    item = forms.ChoiceField()

    def __init__(self, *args, items: ItemChoices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["item"].choices = items.choices

    def clean_item(self) -> ControlledItem:
        try:
            return self.items.by_pk[int(self.cleaned_data["item"])]
        except (KeyError, TypeError, ValueError) as exc:
            raise forms.ValidationError("Choose an item from the list.") from exc


class ApplicationLineForm(LineFormBase):
    quantity = forms.DecimalField(max_digits=18, decimal_places=3, min_value=0)
    unit = forms.ChoiceField(choices=Unit.choices, initial=Unit.KG)
    value = forms.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False)
    currency = forms.CharField(max_length=3, initial="USD", required=False, widget=forms.TextInput(attrs={"size": 4}))


class LicenceLineForm(LineFormBase):
    approved_quantity = forms.DecimalField(max_digits=18, decimal_places=3, min_value=0)
    unit = forms.ChoiceField(choices=Unit.choices, initial=Unit.KG)


ApplicationLineFormSet = formset_factory(ApplicationLineForm, formset=LabelledFormSet, extra=1, can_delete=True)
LicenceLineFormSet = formset_factory(LicenceLineForm, formset=LabelledFormSet, extra=1, can_delete=True)


def lines_data(formset) -> list[dict[str, Any]]:
    """The kept lines of a valid formset, as the services take them."""
    return [
        {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")  # untouched extra forms clean to {}
    ]


class ApplicationForm(ServiceModelForm):
    class Meta:
        model = LicenceApplication
        fields = [
            "supplier",
            "purchase_order",
            "kind",
            "end_user",
            "end_use",
            "destination_country",
            "consignee",
            "transport_mode",
            "customs_port",
            "contract_number",
            "mofcom_number",
            "time_limit_exemption",
            "owner",
            "external_ref",
            "notes",
        ]
        widgets = {"end_use": forms.Textarea(attrs={"rows": 2}), "notes": forms.Textarea(attrs={"rows": 3})}


class ConfirmingSelect(forms.Select):
    """A select whose options may carry a ``data-confirm`` question (asked by base.html)."""

    def __init__(self, *args, confirms: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.confirms = confirms or {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.confirms:
            option["attrs"]["data-confirm"] = self.confirms[str(value)]
        return option


FINAL_STEP_QUESTION = (
    "Record “{label}” for {reference}? This is a final status: the application cannot move again, and the "
    "statutory clock stops. Only a compliance user can undo it, by correcting the step with a reason."
)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label="Move to")
    on = forms.DateField(label="Date it happened", widget=DATE)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    record_licence = forms.BooleanField(required=False, label="Record the licence now (approved only)", initial=True)

    def __init__(self, *args, application: LicenceApplication, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(ApplicationStatus.choices)
        self.fields["to"].choices = [(s, labels[s]) for s in TRANSITIONS[application.status]]
        finals = (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)
        self.fields["to"].widget = ConfirmingSelect(
            choices=self.fields["to"].choices,
            confirms={s: FINAL_STEP_QUESTION.format(label=labels[s], reference=application.reference) for s in finals},
        )


class CorrectionForm(forms.Form):
    """Correct the last step (licensing.services.application_correct_last_step). Each choice
    carries the question base.html asks, naming what will happen (``questions``)."""

    action = forms.ChoiceField(label="Correction")
    on = forms.DateField(label="Date it really happened", required=False, widget=DATE,
                         help_text="Only to give the step another date.")
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 2}), required=False,
                             help_text="Required; kept in the timeline.")

    def __init__(self, *args, questions: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = {"undo": "Undo it", "redate": "Give it another date"}
        choices = [(action, labels[action]) for action in questions]
        self.fields["action"].choices = choices
        self.fields["action"].widget = ConfirmingSelect(choices=choices, confirms=questions)


class ApprovedLicenceForm(forms.Form):
    """The licence an ``approved`` step may carry (docs/architecture.md#workflow)."""

    number = forms.CharField(max_length=100, label="Licence number")
    valid_from = forms.DateField(widget=DATE)
    valid_until = forms.DateField(widget=DATE)


class LicenceForm(forms.Form):
    number = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=LicenceKind.choices)
    valid_from = forms.DateField(widget=DATE)
    valid_until = forms.DateField(widget=DATE)
    external_ref = forms.CharField(max_length=100, required=False, label="ERP reference")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, suppliers=None, applications=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if suppliers is not None:
            self.fields["supplier"] = forms.ModelChoiceField(queryset=suppliers)
            self.fields["application"] = forms.ModelChoiceField(queryset=applications, required=False)
            self.order_fields(["number", "supplier", "application"])


class LicenceEditForm(forms.Form):
    number = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=LicenceKind.choices)
    valid_from = forms.DateField(widget=DATE)
    valid_until = forms.DateField(widget=DATE)
    status = forms.ChoiceField(choices=[("active", "Active"), ("revoked", "Revoked")])
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PolicyEventForm(ServiceModelForm):
    lead_days = forms.CharField(
        initial="30, 7, 1", help_text="Alert this many days before, separated by commas.", label="Alert lead days"
    )

    class Meta:
        model = PolicyEvent
        fields = [
            "date",
            "title",
            "jurisdiction",
            "kind",
            "confidence",
            "elements",
            "summary",
            "source_title",
            "source_url",
            "lead_days",
        ]
        widgets = {"date": DATE, "summary": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"elements": "Element symbols separated by spaces (e.g. Dy Tb); empty means all items."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and isinstance(self.instance.lead_days, list):
            self.initial["lead_days"] = ", ".join(str(d) for d in self.instance.lead_days)

    def clean_lead_days(self) -> list[int]:
        parts = [p.strip() for p in self.cleaned_data["lead_days"].replace(";", ",").split(",") if p.strip()]
        try:
            return [int(p) for p in parts]
        except ValueError as exc:
            raise forms.ValidationError(LEAD_DAYS_MESSAGE) from exc


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=Document.Kind.choices)
    file = forms.FileField(help_text="PDF or image (PNG, JPEG, GIF, TIFF, WebP).")
    valid_until = forms.DateField(required=False, widget=DATE, help_text="For certificates that expire.")
