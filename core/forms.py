"""Form building blocks shared by the apps' forms."""

from django.forms import BaseFormSet, ModelForm


class LabelledFormSet(BaseFormSet):
    """Line formsets render as table rows under one header row, so no input has a <label> of its
    own: each gets an accessible name from its field's label and its line number ("Quantity,
    line 2"), the delete box included (added by the formset after the form is built)."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        line = "new line" if index is None else f"line {index + 1}"
        for name, field in form.fields.items():
            label = "Remove" if name == "DELETE" else (field.label or name.replace("_", " ").capitalize())
            field.widget.attrs.setdefault("aria-label", f"{label}, {line}")


class ServiceModelForm(ModelForm):
    """A ModelForm that only parses: the service runs full_clean and saves, so the form does
    not validate the model a second time. Errors come back once, from the service, each
    database rule's message beside the field it is about (core.errors), never above the form."""

    def _post_clean(self) -> None:
        pass
