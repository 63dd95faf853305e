"""Representations of docs/architecture.md#api for the licensing core. Output serializers render; input
serializers validate and hand plain data (items resolved from their codes) to the services."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import ExternalRefInputMixin, IdRelatedField
from licensing import clock
from licensing.api.fields import ItemCodeField
from licensing.models import (
    LEAD_DAYS_MESSAGE,
    ApplicationEvent,
    ApplicationLine,
    ApplicationStatus,
    ControlledItem,
    LicenceApplication,
    LicenceKind,
    PolicyEvent,
    TimeLimitExemption,
    TransportMode,
    Unit,
)
from licensing.models.applications import TRANSITIONS
from licensing.selectors import application_clock, clock_from_columns
from licensing.services import CORRECTION_REASON_MESSAGE

# Related models of other apps, resolved through the model (licensing imports no other app).
_field = LicenceApplication._meta.get_field
SUPPLIERS = _field("supplier").related_model._default_manager
PURCHASE_ORDERS = _field("purchase_order").related_model._default_manager


_INSTANT = serializers.DateTimeField()


def _date(value) -> str | None:
    return value.isoformat() if value is not None else None


def _decimal(value, places: int) -> str | None:
    # As DRF's DecimalField with COERCE_DECIMAL_TO_STRING: quantized to its decimal places.
    return None if value is None else str(Decimal(value).quantize(Decimal(1).scaleb(-places)))


def _instant(value) -> str | None:
    # DRF's own rendering (time zone, "Z" for UTC), so the two paths cannot disagree.
    return _INSTANT.to_representation(value) if value is not None else None


class ClockContext:
    """Today and the working calendar, loaded once per request (not once per row)."""

    def __init__(self) -> None:
        self._today = None
        self._cal = None

    @property
    def today(self):
        if self._today is None:
            self._today = clock.today()
        return self._today

    @property
    def cal(self) -> clock.WorkingCalendar:
        if self._cal is None:
            self._cal = clock.calendar()
        return self._cal


# --- Controlled items --------------------------------------------------------------------------


class ControlledItemSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(
        source="parent.code", read_only=True, allow_null=True, help_text="The control class."
    )
    elements = serializers.SerializerMethodField()

    class Meta:
        model = ControlledItem
        fields = [
            "code",
            "name",
            "elements",
            "form",
            "hs_codes",
            "control_code",
            "announcement",
            "controlled_since",
            "licensing_required",
            "parent",
            "notes",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_elements(self, obj: ControlledItem) -> list[str]:
        return obj.element_list


# --- Applications -------------------------------------------------------------------------------


class ApplicationLineSerializer(serializers.ModelSerializer):
    item = ItemCodeField()
    quantity = serializers.DecimalField(max_digits=18, decimal_places=3, min_value=Decimal("0.001"))
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.KG)
    value = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True
    )
    currency = serializers.CharField(max_length=3, required=False, default="USD", help_text="ISO 4217.")

    class Meta:
        model = ApplicationLine
        fields = ["item", "quantity", "unit", "value", "currency"]


class ApplicationEventSerializer(serializers.ModelSerializer):
    recorded_by = serializers.SerializerMethodField(help_text="A username, or `api:<key name>` for API clients.")
    source = serializers.ChoiceField(
        choices=["user", "api", "supplier"], read_only=True,
        help_text="`supplier` for a step reported through the supplier portal (docs/supplier-portal.md).",
    )
    reported_by = serializers.CharField(read_only=True, help_text="The supplier contact who reported the step.")

    class Meta:
        model = ApplicationEvent
        fields = ["id", "from_status", "to_status", "on", "note", "recorded_at", "recorded_by", "source", "reported_by"]

    def get_recorded_by(self, obj: ApplicationEvent) -> str:
        return obj.recorded_by_label


class ApplicationSerializer(serializers.ModelSerializer):
    """An application with its clock computed by licensing.selectors.application_clock, the
    same code the UI and the alerts use (docs/architecture.md#clock)."""

    lines = ApplicationLineSerializer(many=True, read_only=True)
    events = ApplicationEventSerializer(
        many=True, read_only=True, help_text="The timeline: in the detail, and in lists with `expand=events`."
    )
    decision_due = serializers.SerializerMethodField()
    decision_due_estimated = serializers.SerializerMethodField()
    working_days_elapsed = serializers.SerializerMethodField()
    working_days_remaining = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    clock_paused = serializers.SerializerMethodField(help_text="A supplement period is open: the due date moves out.")
    exempt_reason = serializers.SerializerMethodField(help_text="Why no statutory limit applies, when none does.")
    allowed_transitions = serializers.SerializerMethodField()
    transport_mode = serializers.ChoiceField(choices=TransportMode.choices, allow_blank=True, read_only=True)

    class Meta:
        model = LicenceApplication
        fields = [
            "id",
            "reference",
            "external_ref",
            "supplier",
            "purchase_order",
            "contract_number",
            "end_user",
            "end_use",
            "destination_country",
            "consignee",
            "transport_mode",
            "customs_port",
            "kind",
            "status",
            "submitted_on",
            "accepted_on",
            "decided_on",
            "closed_on",
            "mofcom_number",
            "time_limit_exemption",
            "notes",
            "lines",
            "decision_due",
            "decision_due_estimated",
            "working_days_elapsed",
            "working_days_remaining",
            "overdue",
            "clock_paused",
            "exempt_reason",
            "predicted_decision_p50",
            "predicted_decision_p90",
            "prediction_sample_size",
            "allowed_transitions",
            "events",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: LicenceApplication) -> dict:
        """The same dict DRF's field machinery builds (tests/api/test_fast_representation.py
        compares the two on every kind of row), written out by hand: a list of 100 applications
        with their lines and events took most of its time in DRF's per-field calls (docs/benchmarks.md:
        2.7 ms against 0.3 ms for 50 rows when measured apart). The declared fields stay, so the
        OpenAPI schema is unchanged."""
        c = self._clock(instance)
        return {
            "id": instance.id,
            "reference": instance.reference,
            "external_ref": instance.external_ref,
            "supplier": instance.supplier_id,
            "purchase_order": instance.purchase_order_id,
            "contract_number": instance.contract_number,
            "end_user": instance.end_user,
            "end_use": instance.end_use,
            "destination_country": instance.destination_country,
            "consignee": instance.consignee,
            "transport_mode": instance.transport_mode,
            "customs_port": instance.customs_port,
            "kind": instance.kind,
            "status": instance.status,
            "submitted_on": _date(instance.submitted_on),
            "accepted_on": _date(instance.accepted_on),
            "decided_on": _date(instance.decided_on),
            "closed_on": _date(instance.closed_on),
            "mofcom_number": instance.mofcom_number,
            "time_limit_exemption": instance.time_limit_exemption,
            "notes": instance.notes,
            "lines": [
                {
                    "item": line.item.code,
                    "quantity": _decimal(line.quantity, 3),
                    "unit": line.unit,
                    "value": _decimal(line.value, 2),
                    "currency": line.currency,
                }
                for line in instance.lines.all()
            ],
            "decision_due": _date(c.decision_due),
            "decision_due_estimated": c.estimated,
            "working_days_elapsed": c.working_days_elapsed,
            "working_days_remaining": c.working_days_remaining,
            "overdue": c.overdue,
            "clock_paused": c.paused,
            "exempt_reason": c.exempt_reason,
            "predicted_decision_p50": _date(instance.predicted_decision_p50),
            "predicted_decision_p90": _date(instance.predicted_decision_p90),
            "prediction_sample_size": instance.prediction_sample_size,
            "allowed_transitions": list(instance.allowed_transitions),
            "events": [
                {
                    "id": event.id,
                    "from_status": event.from_status,
                    "to_status": event.to_status,
                    "on": _date(event.on),
                    "note": event.note,
                    "recorded_at": _instant(event.recorded_at),
                    "recorded_by": event.recorded_by_label,
                    "source": event.source,
                    "reported_by": event.reported_by,
                }
                for event in instance.events.all()
            ],
            "created_at": _instant(instance.created_at),
            "updated_at": _instant(instance.updated_at),
        }

    def _clock(self, obj: LicenceApplication) -> clock.Clock:
        cached = getattr(obj, "_api_clock", None)
        if cached is None:
            ctx = self.context.get("clock") or ClockContext()
            cached = application_clock(obj, today=ctx.today, cal=ctx.cal, events=list(obj.events.all()))
            obj._api_clock = cached
        return cached

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_decision_due(self, obj):
        due = self._clock(obj).decision_due
        return due.isoformat() if due else None

    def get_decision_due_estimated(self, obj) -> bool:
        return self._clock(obj).estimated

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_working_days_elapsed(self, obj):
        return self._clock(obj).working_days_elapsed

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_working_days_remaining(self, obj):
        return self._clock(obj).working_days_remaining

    def get_overdue(self, obj) -> bool:
        return self._clock(obj).overdue

    def get_clock_paused(self, obj) -> bool:
        return self._clock(obj).paused

    def get_exempt_reason(self, obj) -> str:
        return self._clock(obj).exempt_reason

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ApplicationStatus.choices)))
    def get_allowed_transitions(self, obj) -> list[str]:
        return list(obj.allowed_transitions)


class ApplicationListItemSerializer(ApplicationSerializer):
    """The schema of a list row: the detail's fields, ``events`` only with ``expand=events``
    (not read-only here only so that the schema does not mark it required)."""

    events = ApplicationEventSerializer(
        many=True, required=False, help_text="The timeline, present only with `expand=events`."
    )


# --- The list, from rows ------------------------------------------------------------------------
#
# A list page is rendered from ``.values()`` rows, not model instances: 100 applications with
# their lines and events made 2,400 instances, and their construction, with the day-by-day
# clock walk of every row, was most of the list's time (docs/benchmarks.md). The clock comes from
# the stored columns (``licensing.selectors.clock_from_columns``); only rows those cannot answer
# for (an open supplement period, overdue, withdrawn after acceptance) have their supplement
# steps read and the clock computed as the detail does. The timeline is in the detail, and in
# lists only with ``expand=events``. tests/api/test_list_from_rows.py proves each row equal to
# the detail representation.

LIST_COLUMNS = (
    "id", "reference", "external_ref", "supplier_id", "purchase_order_id", "contract_number", "end_user", "end_use",
    "destination_country", "consignee", "transport_mode", "customs_port", "kind", "status", "submitted_on",
    "accepted_on", "decided_on", "closed_on", "mofcom_number", "time_limit_exemption", "notes", "decision_due",
    "decision_due_estimated", "decision_working_days", "predicted_decision_p50", "predicted_decision_p90",
    "prediction_sample_size", "created_at", "updated_at",
)
EXPANDABLE = ("events",)
_USERNAME = f"recorded_by__{get_user_model().USERNAME_FIELD}"
_EVENT_COLUMNS = ("application_id", "id", "from_status", "to_status", "on", "note", "recorded_at", "api_client",
                  "reported_by", _USERNAME)


def _recorded_by_label(e: dict) -> str:
    """ApplicationEvent.recorded_by_label, from a row."""
    if e["reported_by"]:
        confirmed = f", confirmed by {e[_USERNAME]}" if e[_USERNAME] else ""
        return f"reported by {e['reported_by']} (supplier){confirmed}"
    if e["api_client"]:
        return f"api:{e['api_client']}"
    return e[_USERNAME] or ""


def _event_representation(e: dict) -> dict:
    return {
        "id": e["id"],
        "from_status": e["from_status"],
        "to_status": e["to_status"],
        "on": _date(e["on"]),
        "note": e["note"],
        "recorded_at": _instant(e["recorded_at"]),
        "recorded_by": _recorded_by_label(e),
        # As ApplicationEvent.source: a supplier's report, an API client's step, or a user's.
        "source": "supplier" if e["reported_by"] else "api" if e["api_client"] else "user",
        "reported_by": e["reported_by"],
    }


def application_rows_representation(rows: list[dict], *, ctx: ClockContext, expand: Iterable[str] = ()) -> list[dict]:
    """The list representation of ``rows`` (``.values(*LIST_COLUMNS)``): lines in one query,
    events (``expand=events``) or only the supplement steps of the rows that need them in at
    most one more, whatever the page size."""
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    lines: dict[int, list[dict]] = defaultdict(list)
    for app_id, code, quantity, unit, value, currency in (
        ApplicationLine.objects.filter(application_id__in=ids)
        .order_by("id")
        .values_list("application_id", "item__code", "quantity", "unit", "value", "currency")
    ):
        lines[app_id].append({"item": code, "quantity": _decimal(quantity, 3), "unit": unit,
                              "value": _decimal(value, 2), "currency": currency})
    clocks = {row["id"]: clock_from_columns(row, today=ctx.today, cal=ctx.cal) for row in rows}
    need = [pk for pk, c in clocks.items() if c is None]
    events: dict[int, list[dict]] = defaultdict(list)
    with_events = "events" in expand
    if with_events or need:
        qs = ApplicationEvent.objects.filter(application_id__in=ids if with_events else need)
        if not with_events:
            qs = qs.filter(Q(to_status=ApplicationStatus.SUPPLEMENT_REQUESTED)
                           | Q(from_status=ApplicationStatus.SUPPLEMENT_REQUESTED))
        for event in qs.order_by("on", "id").values(*_EVENT_COLUMNS):
            events[event["application_id"]].append(event)
    by_id = {row["id"]: row for row in rows}
    for pk in need:
        timeline = [SimpleNamespace(**e) for e in events[pk]]
        clocks[pk] = application_clock(SimpleNamespace(**by_id[pk]), today=ctx.today, cal=ctx.cal, events=timeline)
    out = []
    for row in rows:
        c = clocks[row["id"]]
        data = {
            "id": row["id"],
            "reference": row["reference"],
            "external_ref": row["external_ref"],
            "supplier": row["supplier_id"],
            "purchase_order": row["purchase_order_id"],
            "contract_number": row["contract_number"],
            "end_user": row["end_user"],
            "end_use": row["end_use"],
            "destination_country": row["destination_country"],
            "consignee": row["consignee"],
            "transport_mode": row["transport_mode"],
            "customs_port": row["customs_port"],
            "kind": row["kind"],
            "status": row["status"],
            "submitted_on": _date(row["submitted_on"]),
            "accepted_on": _date(row["accepted_on"]),
            "decided_on": _date(row["decided_on"]),
            "closed_on": _date(row["closed_on"]),
            "mofcom_number": row["mofcom_number"],
            "time_limit_exemption": row["time_limit_exemption"],
            "notes": row["notes"],
            "lines": lines[row["id"]],
            "decision_due": _date(c.decision_due),
            "decision_due_estimated": c.estimated,
            "working_days_elapsed": c.working_days_elapsed,
            "working_days_remaining": c.working_days_remaining,
            "overdue": c.overdue,
            "clock_paused": c.paused,
            "exempt_reason": c.exempt_reason,
            "predicted_decision_p50": _date(row["predicted_decision_p50"]),
            "predicted_decision_p90": _date(row["predicted_decision_p90"]),
            "prediction_sample_size": row["prediction_sample_size"],
            "allowed_transitions": list(TRANSITIONS[row["status"]]),
        }
        if with_events:
            data["events"] = [_event_representation(e) for e in events[row["id"]]]
        data["created_at"] = _instant(row["created_at"])
        data["updated_at"] = _instant(row["updated_at"])
        out.append(data)
    return out


class LicenceLineInputSerializer(serializers.Serializer):
    item = ItemCodeField()
    approved_quantity = serializers.DecimalField(max_digits=18, decimal_places=3, min_value=Decimal("0.001"))
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.KG)


class TransitionLicenceSerializer(serializers.Serializer):
    """The licence an ``approved`` step records (docs/architecture.md#workflow)."""

    number = serializers.CharField(max_length=100)
    valid_from = serializers.DateField(required=False, help_text="Defaults to the day of the step.")
    valid_until = serializers.DateField()
    kind = serializers.ChoiceField(choices=LicenceKind.choices, required=False)
    external_ref = serializers.CharField(max_length=100, required=False, allow_blank=True)
    lines = LicenceLineInputSerializer(many=True, allow_empty=False)


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ApplicationStatus.choices)
    on = serializers.DateField(help_text="The day the step happened (today or earlier, not before the last step).")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    licence = TransitionLicenceSerializer(required=False, help_text="Only with `approved`.")


class CorrectionSerializer(serializers.Serializer):
    """Correct the last step (licensing.services.application_correct_last_step). The reason and,
    for ``redate``, the date are checked by the service, with its messages."""

    action = serializers.ChoiceField(
        choices=[("undo", "Undo the last step"), ("redate", "Give the last step another date")],
        help_text="`undo`: void the last step, the status goes back; `redate`: record it again on `on`.",
    )
    on = serializers.DateField(
        required=False, allow_null=True, help_text="With `redate`: the day the step really happened."
    )
    # Required in the schema as by the service; a blank reason gets the service's message.
    reason = serializers.CharField(
        allow_blank=True, max_length=5000, error_messages={"required": CORRECTION_REASON_MESSAGE},
        help_text="Why the step is corrected. Kept on the voided step in the timeline.",
    )


class ApplicationInputSerializer(ExternalRefInputMixin, serializers.Serializer):
    external_ref_model = LicenceApplication

    """Create (optionally back-loading dated ``events``) or update an application's details."""

    external_ref = serializers.CharField(max_length=100, required=False, allow_blank=True)
    supplier = IdRelatedField(queryset=SUPPLIERS.all())
    purchase_order = IdRelatedField(queryset=PURCHASE_ORDERS.all(), required=False, allow_null=True)
    contract_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    end_user = serializers.CharField(max_length=300)
    end_use = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    # Checked by the model (core.validators) through the service, like every other door.
    destination_country = serializers.CharField(max_length=2, help_text="ISO 3166 alpha-2.")
    consignee = serializers.CharField(max_length=300, required=False, allow_blank=True)
    transport_mode = serializers.ChoiceField(choices=TransportMode.choices, required=False, allow_blank=True)
    customs_port = serializers.CharField(max_length=100, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=LicenceKind.choices, required=False)
    mofcom_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    time_limit_exemption = serializers.ChoiceField(choices=TimeLimitExemption.choices, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    lines = ApplicationLineSerializer(many=True, required=False)
    events = TransitionSerializer(
        many=True, required=False, help_text="Create only: dated steps that back-load the history from draft."
    )

    def validate(self, attrs: dict) -> dict:
        status = self.initial_data.get("status") if isinstance(self.initial_data, dict) else None
        if status is not None and status != getattr(self.instance, "status", ApplicationStatus.DRAFT):
            raise serializers.ValidationError(
                {"status": "The status changes only through transition/ (or `events` at creation)."}, code="read_only"
            )
        if self.instance is not None and "events" in attrs:
            raise serializers.ValidationError(
                {"events": "Events back-load history at creation only; record new steps with transition/."},
                code="create_only",
            )
        return attrs


# --- Policy events --------------------------------------------------------------------------------


class PolicyEventSerializer(serializers.ModelSerializer):
    items = ItemCodeField(many=True, required=False, help_text="Item codes; omitted: from `elements`.")
    lead_days = serializers.ListField(
        child=serializers.IntegerField(
            min_value=0,
            max_value=365,
            error_messages=dict.fromkeys(("invalid", "min_value", "max_value", "max_string_length"), LEAD_DAYS_MESSAGE),
        ),
        required=False,
        max_length=20,
        help_text="Alert this many days before, e.g. [30, 7, 1].",
    )
    source_url = serializers.URLField(max_length=500, required=False, allow_blank=True)

    class Meta:
        model = PolicyEvent
        fields = [
            "id",
            "date",
            "title",
            "jurisdiction",
            "kind",
            "summary",
            "elements",
            "items",
            "source_title",
            "source_url",
            "confidence",
            "lead_days",
            "is_reference",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "is_reference", "created_at", "updated_at"]
        # (date, title) is checked by the service's full_clean; no per-field query here.
        validators: list = []
