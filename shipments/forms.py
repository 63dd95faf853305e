"""Forms for suppliers, purchase orders, shipments and licences. They parse; services decide."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory

from core.forms import LabelledFormSet, ServiceModelForm
from licensing.forms import DATE, LineFormBase
from licensing.models import Licence, LicenceStatus, Unit
from suppliers.models import PurchaseOrder, Supplier

from .models import Shipment


class SupplierForm(ServiceModelForm):
    class Meta:
        model = Supplier
        fields = [
            "name",
            "local_name",
            "country",
            "uscc",
            "contact_name",
            "contact_email",
            "phone",
            "active",
            "external_ref",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class PurchaseOrderForm(ServiceModelForm):
    class Meta:
        model = PurchaseOrder
        fields = ["number", "supplier", "order_date", "needed_by", "status", "external_ref", "notes"]
        widgets = {"order_date": DATE, "needed_by": DATE, "notes": forms.Textarea(attrs={"rows": 2})}


class PurchaseOrderLineForm(LineFormBase):
    quantity = forms.DecimalField(max_digits=18, decimal_places=3, min_value=0)
    unit = forms.ChoiceField(choices=Unit.choices, initial=Unit.KG)
    unit_price = forms.DecimalField(max_digits=18, decimal_places=4, min_value=0, required=False)
    currency = forms.CharField(max_length=3, initial="USD", widget=forms.TextInput(attrs={"size": 4}))


class ShipmentLineForm(LineFormBase):
    quantity = forms.DecimalField(max_digits=18, decimal_places=3, min_value=0)
    unit = forms.ChoiceField(choices=Unit.choices, initial=Unit.KG)


PurchaseOrderLineFormSet = formset_factory(PurchaseOrderLineForm, formset=LabelledFormSet, extra=1, can_delete=True)
ShipmentLineFormSet = formset_factory(ShipmentLineForm, formset=LabelledFormSet, extra=1, can_delete=True)


class ShipmentForm(ServiceModelForm):
    licence = forms.ModelChoiceField(
        queryset=Licence.objects.none(),
        required=False,
        empty_label="No licence yet (one is suggested)",
        help_text="The licence this shipment draws down.",
    )
    force = forms.BooleanField(
        required=False,
        label="Force the over-draw or the expired licence (compliance)",
        help_text="Allow this shipment to draw the licence below zero, or after it expired; the note is recorded.",
    )
    override_note = forms.CharField(
        required=False, label="Why the over-draw is allowed", widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = Shipment
        fields = [
            "reference",
            "supplier",
            "purchase_order",
            "status",
            "transport_mode",
            "planned_ship_date",
            "actual_ship_date",
            "eta",
            "arrived_on",
            "held_on",
            "customs_question",
            "external_ref",
            "notes",
        ]
        widgets = {name: DATE for name in ("planned_ship_date", "actual_ship_date", "eta", "arrived_on", "held_on")} | {
            "notes": forms.Textarea(attrs={"rows": 2})
        }

    def __init__(self, *args, can_force: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["licence"].queryset = Licence.objects.exclude(status=LicenceStatus.REVOKED).select_related(
            "supplier"
        )
        self.fields["licence"].label_from_instance = lambda lic: (
            f"{lic.number} · {lic.supplier.name} · until {lic.valid_until:%d %b %Y}"
        )
        if self.instance.pk:
            self.initial.setdefault("licence", self.instance.licence_id)
        if not can_force:
            del self.fields["force"]
            del self.fields["override_note"]
        self.order_fields(["reference", "supplier", "purchase_order", "licence", "status"])


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8) or XLSX, one row per line; the first row holds the column names.")
