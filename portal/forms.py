"""The portal's forms: every label, choice and error in both languages (gettext)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import validators as v
from licensing.models import ApplicationStatus, LicenceApplication, SupplierMessage
from licensing.reports import REPORTABLE

S = ApplicationStatus
# The statuses as the portal names them (the model's labels are the importer's English).
STATUS_LABELS = {
    S.DRAFT: pgettext_lazy("application status", "Draft"),
    S.DOCUMENTS_PENDING: pgettext_lazy("application status", "Documents pending"),
    S.SUBMITTED: pgettext_lazy("application status", "Submitted to MOFCOM"),
    S.ACCEPTED: pgettext_lazy("application status", "Accepted by MOFCOM"),
    S.SUPPLEMENT_REQUESTED: pgettext_lazy("application status", "Supplement requested"),
    S.APPROVED: pgettext_lazy("application status", "Approved"),
    S.REJECTED: pgettext_lazy("application status", "Rejected"),
    S.WITHDRAWN: pgettext_lazy("application status", "Withdrawn"),
}
REPORT_STATUS_LABELS = {
    "held": _("Waiting for the importer's confirmation"),
    "applied": _("Applied"),
    "rejected": _("Not accepted by the importer"),
}
CHECKLIST_LABELS = {
    "missing": _("Not ready yet"),
    "uploaded": _("Ready to download"),
    "shared": _("Downloaded"),
    "asked_again": _("MOFCOM asked again: the importer is preparing it"),
}
CUSTOMS_ANSWER_LABELS = {
    "held": _("Waiting for the importer's confirmation"),
    "applied": _("Recorded by the importer"),
    "rejected": _("Not accepted by the importer"),
}
FILE_ERRORS = {"empty": _("The file is empty."), "invalid": _("This is not a file.")}
CONTROL_CHARACTERS = _("Remove the control characters from this text.")


def single_line(value: str) -> None:
    """``core.validators``' rule (no control characters), with the portal's translated message."""
    try:
        v.validate_single_line(value)
    except ValidationError:
        raise ValidationError(CONTROL_CHARACTERS, code="control_character") from None


def multiline(value: str) -> None:
    """``core.validators``' rule (tab and line breaks only), with the portal's translated message."""
    try:
        v.validate_multiline(value)
    except ValidationError:
        raise ValidationError(CONTROL_CHARACTERS, code="control_character") from None


DATE_ERRORS = {"required": _("Give the date."), "invalid": _("Give the date as YYYY-MM-DD.")}


class ReportForm(forms.Form):
    to = forms.ChoiceField(label=_("Step"), error_messages={"required": _("Choose the step."),
                                                             "invalid_choice": _("Choose one of the steps offered.")})
    on = forms.DateField(label=_("Date of the step"), widget=forms.DateInput(attrs={"type": "date"}),
                         error_messages=DATE_ERRORS)
    mofcom_number = forms.CharField(label=_("MOFCOM file number"), max_length=100, required=False,
                                    validators=[single_line],
                                    error_messages={"max_length": _("At most 100 characters.")})
    requested_kinds = forms.MultipleChoiceField(
        label=_("Documents MOFCOM asked for"), required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose among the documents listed.")},
    )
    note = forms.CharField(label=_("Message or what MOFCOM asked for"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, validators=[multiline],
                           error_messages={"max_length": _("At most 4000 characters.")})
    licence_number = forms.CharField(label=_("Licence number"), max_length=100, required=False,
                                     validators=[single_line],
                                     error_messages={"max_length": _("At most 100 characters.")})
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                 error_messages=DATE_ERRORS)
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}), error_messages=DATE_ERRORS)
    scan = forms.FileField(label=_("Licence scan or supplement document (PDF or image)"), required=False,
                           error_messages={"empty": _("The file is empty."), "invalid": _("This is not a file.")})

    def __init__(self, *args, application: LicenceApplication, kinds, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        self.fields["to"].choices = [
            (s, STATUS_LABELS[s]) for s in application.allowed_transitions if s in REPORTABLE
        ]
        self.fields["requested_kinds"].choices = [
            (k.code, k.name_zh if language == "zh-hans" and k.name_zh else k.name) for k in kinds
        ]
        self.lines = list(application.lines.select_related("item"))
        for line in self.lines:
            self.fields[f"quantity_{line.item_id}"] = forms.DecimalField(
                label=_("Approved quantity of %(item)s (%(unit)s)") % {"item": line.item.code, "unit": line.unit},
                required=False, min_value=0, max_digits=18, decimal_places=3,
                error_messages={"invalid": _("Give a number."), "min_value": _("Give a quantity above zero."),
                                "max_decimal_places": _("At most 3 decimals."),
                                "max_digits": _("The number is too long.")},
            )

    def quantity_fields(self):
        return [self[f"quantity_{line.item_id}"] for line in self.lines]

    def clean(self):
        data = super().clean()
        if data.get("to") == S.APPROVED:
            if not data.get("licence_number"):
                self.add_error("licence_number", _("Give the licence number."))
            if not data.get("valid_until"):
                self.add_error("valid_until", _("Give the last day the licence is valid."))
            if not any(data.get(f"quantity_{line.item_id}") for line in self.lines):
                self.add_error(None, _("Give the approved quantity of at least one item."))
        if data.get("to") == S.SUPPLEMENT_REQUESTED and not data.get("requested_kinds") and not data.get("note"):
            self.add_error("requested_kinds", _("Say what MOFCOM asked for."))
        on = data.get("on")
        if isinstance(on, dt.date) and on.year < 2000:
            self.add_error("on", _("Give the date as YYYY-MM-DD."))
        return data

    def licence(self) -> dict | None:
        data = self.cleaned_data
        if data.get("to") != S.APPROVED:
            return None
        return {
            "number": data.get("licence_number", ""), "valid_from": data.get("valid_from"),
            "valid_until": data.get("valid_until"),
            "quantities": {line.item_id: data[f"quantity_{line.item_id}"] for line in self.lines
                           if data.get(f"quantity_{line.item_id}")},
        }


class MessageForm(forms.Form):
    """A message to the importer and/or a document, without reporting a step."""

    text = forms.CharField(label=_("Message to the importer"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}), validators=[multiline],
                           error_messages={"max_length": _("At most 4000 characters.")})
    regarding = forms.ChoiceField(label=_("The document is for"), required=False,
                                  error_messages={"invalid_choice": _("Choose one of the options offered.")})
    file = forms.FileField(label=_("Document (PDF or image)"), required=False, error_messages=FILE_ERRORS)

    def __init__(self, *args, application: LicenceApplication, kinds, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("A message or another document"))]
        if application.status == S.SUPPLEMENT_REQUESTED:
            choices.append((SupplierMessage.SUPPLEMENT, _("The supplement MOFCOM asked for")))
        choices += [(k.code, k.name_zh if language == "zh-hans" and k.name_zh else k.name) for k in kinds]
        self.fields["regarding"].choices = choices

    def clean(self):
        data = super().clean()
        if not data.get("text") and not data.get("file") and not self.errors:
            self.add_error("text", _("Write a message or choose a file."))
        if data.get("regarding") and not data.get("file") and "file" not in self.errors:
            self.add_error("file", _("Choose the file for this document."))
        return data


class CustomsAnswerForm(forms.Form):
    text = forms.CharField(label=_("Your answer to customs"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4}), validators=[multiline],
                           error_messages={"required": _("Give the answer to customs."),
                                           "max_length": _("At most 4000 characters.")})
    file = forms.FileField(label=_("Document (PDF or image)"), required=False, error_messages=FILE_ERRORS)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=[("en", "English"), ("zh-hans", "简体中文")])
