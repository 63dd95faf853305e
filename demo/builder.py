"""A believable demo data set, built through the services so that every rule applies.

Five Chinese suppliers, purchase orders, about forty licence applications from April 2025 to
today (``licensing.clock.today()``) in every status, with the delays reported in practice
(45 to 60 and more working days, supplement requests, rejections, a few overdue now),
licences from the approvals and shipments in every status drawing them down (two held by
customs, one planned after its licence ends, one late). Deterministic: the same day gives
the same data. Idempotent: ``load_demo_data`` builds it once (see ``demo_data_loaded``).

The demo users exist only in the embedded default (``settings.EMBEDDED``), never in
production: ``create_demo_users``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from core.roles import Role, assign_role
from exposure import services as exposure
from licensing import clock
from licensing import services as licensing
from licensing.models import ApplicationStatus as S
from licensing.models import (
    ControlledItem,
    Form,
    Licence,
    LicenceApplication,
    LicenceStatus,
    Outcome,
    PendingDecision,
    Scenario,
    ScenarioOutcome,
)
from shipments import services
from suppliers import services as supplier_services
from suppliers.models import PurchaseOrder, Supplier, uscc_check_character

MARKER = "DEMO-SUP-1"  # the first demo supplier's external_ref: present means loaded
FIRST_DAY = dt.date(2025, 4, 7)  # the first Monday after MOFCOM Announcement No. 18 of 2025
# The history starts this many days before the day of loading (but never before FIRST_DAY, when
# the licences began): about twenty months, so that loaded on any date the demo has a year of
# decided applications, their licences and shipments behind the open ones.
HISTORY_DAYS = 610
SEED = 18  # the announcement's number: any fixed seed makes the data reproducible

# (name, local name, region code of the USCC, city, contact)
SUPPLIERS = [
    ("Ganzhou Jinli Rare Earth Materials Co., Ltd.", "赣州金利稀土材料有限公司", "360702", "Liu Wei", "liu.wei"),
    ("Baotou Hengyuan Magnetics Co., Ltd.", "包头恒源磁业有限公司", "150203", "Zhao Min", "zhaomin"),
    ("Ningbo Yongxin Magnet Technology Co., Ltd.", "宁波永鑫磁电科技有限公司", "330206", "Chen Jing", "chen.jing"),
    ("Changting Minxi Rare Earth Trading Co., Ltd.", "长汀闽西稀土贸易有限公司", "350821", "Wu Hao", "wuhao"),
    ("Leshan Ruida New Materials Co., Ltd.", "乐山瑞达新材料有限公司", "511102", "Yang Li", "yang.li"),
]
DOMAINS = ["jinli-re.cn", "hengyuan-mag.com", "yxmagnet.com", "minxi-re.com.cn", "ruida-nm.cn"]

# The importer's own items under the shipped control classes: (code, name, parent, form, unit, price/unit)
ITEMS = [
    ("DY2O3-4N", "Dysprosium oxide 99.99 %", "DY", Form.OXIDE, "kg", "285.00"),
    ("TB4O7-4N", "Terbium oxide 99.99 %", "TB", Form.OXIDE, "kg", "1020.00"),
    ("NDFEB-N52SH", "Sintered NdFeB magnets N52SH (grain-boundary Dy)", "DY", Form.MAGNET, "pcs", "3.40"),
    ("SMCO-2-17", "SmCo 2:17 magnet blocks", "SM", Form.MAGNET, "kg", "118.00"),
    ("Y2O3-5N", "Yttrium oxide 99.999 %", "Y", Form.OXIDE, "t", "9800.00"),
    ("GD-METAL", "Gadolinium metal 99.9 %", "GD", Form.METAL, "kg", "64.00"),
]
# Which items each supplier sells (indices into ITEMS).
CATALOGUE = {0: [0, 1, 5], 1: [2, 0], 2: [2, 3], 3: [0, 1, 4], 4: [4, 5, 3]}
QUANTITIES = {"kg": (150, 2500, 50), "pcs": (20000, 240000, 5000), "t": (2, 18, 1)}

END_USERS = [
    ("Rhein Antriebstechnik GmbH", "DE", "Traction motors for electric vehicles", "Rhein Antriebstechnik, Mannheim"),
    ("Kansai Precision Motors K.K.", "JP", "Servo motors for factory automation", "Kansai Precision Motors, Osaka"),
    ("Great Lakes Drive Systems Inc.", "US", "Electric power-steering motors", "GLDS Receiving, Toledo OH"),
    ("Nordvind Turbines A/S", "DK", "Permanent-magnet generators for wind turbines", "Nordvind Turbines, Esbjerg"),
    ("Lumen Optics B.V.", "NL", "Phosphors for LED lighting", "Lumen Optics, Eindhoven"),
]
PORTS = {"sea": ["Shanghai", "Ningbo", "Xiamen", "Tianjin"], "air": ["Shanghai Pudong", "Beijing Capital"]}


@dataclass
class _Build:
    """What the builder keeps while it runs."""

    today: dt.date
    cal: clock.WorkingCalendar
    rng: random.Random
    actor: object | None
    short_licence: bool = False  # the one licence granted for a short window is made
    suppliers: list[Supplier] = field(default_factory=list)
    items: list[ControlledItem] = field(default_factory=list)
    licences: list[Licence] = field(default_factory=list)
    balance: dict[tuple[int, int], Decimal] = field(default_factory=dict)  # (licence, item) -> left
    po_seq: int = 4500012870
    shipment_seq: int = 0


def demo_data_loaded() -> bool:
    return Supplier.objects.filter(external_ref=MARKER).exists()


def create_demo_users():
    """``demo``/``demo`` (procurement, demo@example.com) and ``admin``/``admin`` (superuser),
    only in the embedded default. Returns the demo user, or None outside the embedded default.
    A second call changes nothing (passwords are set only when the user is created)."""
    if not settings.EMBEDDED:
        return None
    user_model = get_user_model()
    demo, created = user_model.objects.get_or_create(
        username="demo", defaults={"email": "demo@example.com", "first_name": "Demo", "last_name": "Buyer"}
    )
    if created:
        demo.set_password("demo")
        demo.save(update_fields=["password"])
        assign_role(demo, Role.PROCUREMENT)
    admin, created = user_model.objects.get_or_create(
        username="admin", defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_password("admin")
        admin.save(update_fields=["password"])
    return demo


# --- Dates -----------------------------------------------------------------------------------------


def _working_days_before(b: _Build, day: dt.date, n: int) -> dt.date:
    while n > 0:
        day -= dt.timedelta(days=1)
        if b.cal.is_working_day(day):
            n -= 1
    return day


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _after(b: _Build, day: dt.date, low: int, high: int) -> dt.date:
    return b.cal.add_working_days(day, b.rng.randint(low, high))


# --- Reference rows ------------------------------------------------------------------------------


def _uscc(region: str, n: int) -> str:
    # 9 = registered by the market regulator, 1 = enterprise; then the region, then the
    # organisation code (MA + 7 characters) and the GB 32100-2015 check character.
    first17 = f"91{region}MA{n:02d}{'0HJ3K7'[n % 6]}{n * 37 % 10000:04d}"
    return first17 + uscc_check_character(first17)


def _suppliers(b: _Build) -> None:
    for n, (name, local, region, contact, mailbox) in enumerate(SUPPLIERS, start=1):
        b.suppliers.append(
            supplier_services.supplier_save(
                name=name, local_name=local, country="CN", uscc=_uscc(region, n), contact_name=contact,
                contact_email=f"{mailbox}@{DOMAINS[n - 1]}", phone=f"+86 {b.rng.randint(130, 189)} "
                f"{b.rng.randint(1000, 9999)} {b.rng.randint(1000, 9999)}", external_ref=f"DEMO-SUP-{n}",
                notes="Files MOFCOM applications through the provincial commerce department.", actor=b.actor,
            )
        )


def _items(b: _Build) -> None:
    for code, name, parent_code, form, _unit, _price in ITEMS:
        parent = ControlledItem.objects.filter(code=parent_code).first()
        item, _ = ControlledItem.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "form": form, "parent": parent,
                "elements": parent.elements if parent else parent_code.title(),
                "hs_codes": parent.hs_codes if parent else "", "control_code": parent.control_code if parent else "",
                "announcement": parent.announcement if parent else "", "licensing_required": True,
                "controlled_since": parent.controlled_since if parent else FIRST_DAY,
            },
        )
        b.items.append(item)


# --- Applications --------------------------------------------------------------------------------


def _plan(b: _Build, start: dt.date, outcome: str, supplement: bool) -> list[dict]:
    """Dated steps from a draft made on ``start`` towards ``outcome``, cut at today."""
    steps = []
    day = start
    if b.rng.random() < 0.7:
        day += dt.timedelta(days=b.rng.randint(1, 4))
        steps.append((S.DOCUMENTS_PENDING, day, "Waiting for the signed end-user certificate."))
        if outcome == "withdrawn_early":
            steps.append((S.WITHDRAWN, day + dt.timedelta(days=b.rng.randint(10, 25)), "Order moved to Vietnam."))
            return _cut(b, steps)
    day += dt.timedelta(days=b.rng.randint(5, 18))
    submitted = _after(b, day, 0, 1)
    steps.append((S.SUBMITTED, submitted, "Filed through the provincial commerce department."))
    if outcome == "not_accepted":
        note = "MOFCOM declined to accept: end-use statement unsigned."
        steps.append((S.REJECTED, _after(b, submitted, 6, 12), note))
        return _cut(b, steps)
    accepted = _after(b, submitted, 2, 8)
    steps.append((S.ACCEPTED, accepted, "Accepted for review."))
    delay = b.rng.choice([44, 47, 50, 52, 55, 58, 61, 64, 68, 73])  # counted working days to decision
    if supplement:
        requested = _after(b, accepted, 12, 28)
        provided = _after(b, requested, 5, 14)
        steps.append((S.SUPPLEMENT_REQUESTED, requested, "MOFCOM asks for the end user's production plan."))
        steps.append((S.ACCEPTED, provided, "Supplement provided."))
        delay += b.cal.working_days_between(requested, provided)
    decided = b.cal.add_working_days(accepted, delay)
    if outcome == "withdrawn_late":
        steps.append((S.WITHDRAWN, _after(b, accepted, 20, 35), "Customer cancelled the programme."))
    elif outcome == "rejected":
        steps.append((S.REJECTED, decided, "Rejected without reasons given."))
    else:
        steps.append((S.APPROVED, decided, ""))
    return _cut(b, steps)


def _cut(b: _Build, steps) -> list[dict]:
    return [{"to": to, "on": on, "note": note} for to, on, note in steps if on <= b.today]


def _application(b: _Build, n: int, start: dt.date, steps: list[dict], *, kind: str = "single", **extra):
    s_index = n % len(b.suppliers)
    supplier = b.suppliers[s_index]
    item = b.items[b.rng.choice(CATALOGUE[s_index])]
    _code, _name, _parent, _form, unit, price = ITEMS[b.items.index(item)]
    low, high, step = QUANTITIES[unit]
    quantity = Decimal(b.rng.randrange(low, high, step))
    end_user, country, end_use, consignee = END_USERS[n % len(END_USERS)]
    mode = "air" if item.form == Form.OXIDE and quantity < 300 else "sea"
    b.po_seq += b.rng.randint(3, 40)
    po = services.purchase_order_save(
        number=str(b.po_seq), supplier=supplier, order_date=start - dt.timedelta(days=b.rng.randint(5, 20)),
        needed_by=start + dt.timedelta(days=b.rng.randint(140, 230)), external_ref=f"DEMO-PO-{n:02d}",
        lines=[{"item": item, "quantity": quantity, "unit": unit, "unit_price": Decimal(price), "currency": "USD"}],
        actor=b.actor,
    )
    application = licensing.application_create(
        supplier=supplier, purchase_order=po, contract_number=f"CT-{start:%y%m}-{n:03d}", end_user=end_user,
        end_use=end_use, destination_country=country, consignee=consignee, transport_mode=mode,
        customs_port=b.rng.choice(PORTS[mode]), kind=kind, external_ref=f"DEMO-APP-{n:02d}",
        owner=b.actor if getattr(b.actor, "is_authenticated", False) else None,
        mofcom_number=f"{start:%Y}{b.rng.randint(100000, 999999)}" if any(
            step["to"] == S.SUBMITTED for step in steps
        ) else "",
        lines=[{"item": item, "quantity": quantity, "unit": unit, "value": quantity * Decimal(price)}],
        actor=b.actor, **extra,
    )
    for i, step in enumerate(steps):
        licence = None
        if step["to"] == S.APPROVED:
            licence = _licence_data(b, application, item, quantity, unit, step["on"], kind)
        application = licensing.application_transition(
            application=application, to=step["to"], on=step["on"], note=step["note"], licence=licence, actor=b.actor
        )
        if i == len(steps) - 1 and step["to"] in (S.REJECTED, S.WITHDRAWN):
            services.purchase_order_save(purchase_order=po, status="cancelled", actor=b.actor)
    # The reference carries the year the file was started. The record keeps its real creation
    # time: its history was typed in afterwards, so (like an ERP back-load) it alerts nobody.
    LicenceApplication.objects.filter(pk=application.pk).update(reference=f"LA-{start:%Y}-{application.pk:05d}")
    return application


def _licence_data(b: _Build, application, item, quantity, unit, decided: dt.date, kind: str) -> dict:
    # Selective approvals: a quarter of the licences grant less than was applied for.
    approved = quantity if b.rng.random() < 0.75 else (quantity * Decimal("0.6")).quantize(Decimal("1"))
    years = 3 if kind == "general" else 1
    valid_until = _add_years(decided, years) - dt.timedelta(days=1)
    # One single licence decided in the past year was granted only up to the contract's last
    # delivery, which falls three weeks from today: the licence running out on the dashboard.
    if (not b.short_licence and kind == "single" and b.today - dt.timedelta(days=300) <= decided
            <= b.today - dt.timedelta(days=30)):
        valid_until, b.short_licence = b.today + dt.timedelta(days=19), True
    return {
        "number": f"{decided:%y}DU{application.pk:03d}{b.rng.randint(1000, 9999)}",
        "valid_from": decided,
        "valid_until": valid_until,
        "lines": [{"item": item, "approved_quantity": approved, "unit": unit}],
    }


def _applications(b: _Build) -> list[LicenceApplication]:
    made = []
    # Twenty-nine applications spread from April 2025 to about four months ago, most of them
    # decided by now; the ones whose planned decision lies after today stay open (some overdue).
    first_day = max(FIRST_DAY, b.today - dt.timedelta(days=HISTORY_DAYS))
    history_end = max(first_day + dt.timedelta(days=60), b.today - dt.timedelta(days=130))
    span = (history_end - first_day).days
    outcomes = {5: "rejected", 9: "not_accepted", 11: "withdrawn_early", 14: "rejected", 23: "rejected",
                27: "withdrawn_late"}
    for n in range(29):
        start = first_day + dt.timedelta(days=span * n // 28)
        outcome = outcomes.get(n, "approved")
        kind = "general" if n in (24, 28) else "single"
        made.append(_application(b, n, start, _plan(b, start, outcome, supplement=n % 4 == 2), kind=kind))

    # Eleven recent ones, dated back from today so that every open status is there now.
    t, ago = b.today, lambda n: _working_days_before(b, b.today, n)
    recent = [
        (t - dt.timedelta(days=2), []),
        (t - dt.timedelta(days=9), [(S.DOCUMENTS_PENDING, ago(4))]),
        (ago(12), [(S.SUBMITTED, ago(3))]),
        (ago(25), [(S.DOCUMENTS_PENDING, ago(20)), (S.SUBMITTED, ago(11))]),  # silent for 11 days: stuck?
        (ago(30), [(S.SUBMITTED, ago(18)), (S.ACCEPTED, ago(12))]),
        (ago(55), [(S.SUBMITTED, ago(44)), (S.ACCEPTED, ago(40))]),  # due in five working days
        (ago(75), [(S.SUBMITTED, ago(62)), (S.ACCEPTED, ago(57))]),  # overdue
        (ago(90), [(S.DOCUMENTS_PENDING, ago(86)), (S.SUBMITTED, ago(74)), (S.ACCEPTED, ago(68))]),  # long overdue
        (ago(80), [(S.SUBMITTED, ago(66)), (S.ACCEPTED, ago(61)), (S.SUPPLEMENT_REQUESTED, ago(40)),
                   (S.ACCEPTED, ago(35))]),  # overdue even after the supplement pause
        (ago(50), [(S.SUBMITTED, ago(38)), (S.ACCEPTED, ago(33)), (S.SUPPLEMENT_REQUESTED, ago(6))]),
        (ago(70), [(S.SUBMITTED, ago(55)), (S.ACCEPTED, ago(50)), (S.SUPPLEMENT_REQUESTED, ago(30)),
                   (S.ACCEPTED, ago(19))]),
    ]
    notes = {S.SUPPLEMENT_REQUESTED: "MOFCOM asks for the end user's production plan.",
             S.SUBMITTED: "Filed through the provincial commerce department."}
    for i, (start, steps) in enumerate(recent):
        start = min(start, *(on for _, on in steps)) if steps else start
        events = [{"to": to, "on": on, "note": notes.get(to, "")} for to, on in steps]
        extra = {"time_limit_exemption": "state_council"} if i == 4 else {}
        made.append(_application(b, 29 + i, start, events, **extra))
    return made


# --- Shipments -----------------------------------------------------------------------------------


def _shipment(b: _Build, licence: Licence, share: Decimal | None, *, status: str, etd: dt.date,
              purchase_order: PurchaseOrder | None = None, **dates) -> None:
    """A shipment of ``share`` of the licence's approved quantity (None: all that is left), for
    the purchase order of the licence's application unless another is given."""
    line = licence.lines.select_related("item").first()
    key = (licence.pk, line.item_id)
    left = b.balance.setdefault(key, line.approved_quantity)
    quantity = left if share is None else (line.approved_quantity * share).quantize(Decimal("1"))
    if quantity <= 0 or quantity > left:
        return
    b.balance[key] = left - quantity
    b.shipment_seq += 1
    application = licence.application
    mode = (application.transport_mode if application else "") or "sea"
    transit = b.rng.randint(32, 44) if mode == "sea" else b.rng.randint(3, 7)
    services.shipment_save(
        supplier=licence.supplier,
        purchase_order=purchase_order or (application.purchase_order if application else None),
        licence=licence, status=status, transport_mode=mode,
        reference=f"{'COSU' if mode == 'sea' else '784-'}{6120000 + b.shipment_seq * 7919 % 99991}",
        planned_ship_date=etd, eta=dates.pop("eta", etd + dt.timedelta(days=transit)),
        external_ref=f"DEMO-SHP-{b.shipment_seq:03d}", lines=[{"item": line.item, "quantity": quantity,
                                                                 "unit": line.unit}],
        actor=b.actor, **dates,
    )


def _call_off(b: _Build, licence: Licence, ref: str, *, needed_in: int) -> PurchaseOrder:
    """A further order under the contract a licence covers, placed a week ago."""
    line = licence.lines.select_related("item").first()
    price = {code: price for code, *_, price in ITEMS}.get(line.item.code, "100.00")
    b.po_seq += 11
    return services.purchase_order_save(
        number=str(b.po_seq), supplier=licence.supplier, order_date=b.today - dt.timedelta(days=7),
        needed_by=b.today + dt.timedelta(days=needed_in), external_ref=f"DEMO-PO-{ref}",
        lines=[{"item": line.item, "quantity": (line.approved_quantity * Decimal("0.1")).quantize(Decimal("1")),
                "unit": line.unit, "unit_price": Decimal(price), "currency": "USD"}],
        actor=b.actor,
    )


def _order_without_application(b: _Build) -> None:
    """An order placed three days ago, needed in six weeks, for which no licence application
    is filed yet: at risk, since a decision alone takes longer than that."""
    code, _name, _parent, _form, unit, price = ITEMS[0]
    b.po_seq += 13
    services.purchase_order_save(
        number=str(b.po_seq), supplier=b.suppliers[3], order_date=b.today - dt.timedelta(days=3),
        needed_by=b.today + dt.timedelta(days=42), external_ref="DEMO-PO-N1",
        lines=[{"item": b.items[0], "quantity": Decimal(600), "unit": unit, "unit_price": Decimal(price),
                "currency": "USD"}],
        actor=b.actor,
    )


def _past_shipment(b: _Build, licence: Licence, share: Decimal, etd: dt.date) -> None:
    """A shipment planned on ``etd``, with the status its dates give it today."""
    shipped = etd + dt.timedelta(days=b.rng.randint(0, 4))
    transit = b.rng.randint(32, 44)
    eta = shipped + dt.timedelta(days=transit)
    if etd > b.today:
        status = "booked" if (etd - b.today).days < 21 else "planned"
        _shipment(b, licence, share, status=status, etd=etd)
    elif shipped > b.today:
        _shipment(b, licence, share, status="booked", etd=etd)
    elif eta + dt.timedelta(days=3) < b.today:
        _shipment(b, licence, share, status="delivered", etd=etd, actual_ship_date=shipped, eta=eta,
                  arrived_on=eta + dt.timedelta(days=b.rng.randint(0, 3)))
    elif eta <= b.today:
        _shipment(b, licence, share, status="at_customs", etd=etd, actual_ship_date=shipped, eta=eta)
    else:
        _shipment(b, licence, share, status="in_transit", etd=etd, actual_ship_date=shipped, eta=eta)


def _shipments(b: _Build) -> None:
    licences = list(Licence.objects.select_related("supplier", "application").order_by("valid_from", "id"))
    # Soonest expiry first, so that the shipment planned after its licence ends is near.
    active = sorted((lic for lic in licences if lic.status == LicenceStatus.ACTIVE), key=lambda lic: lic.valid_until)
    special = set()
    # The cases a team must see on a morning: one ship date after the licence ends, two holds,
    # one late arrival, one at destination customs, one booked, one cancellation.
    if active:
        picks = [active[i % len(active)] for i in range(7)]
        after_expiry, held_first, held_second, late, at_customs, booked, cancelled = picks
        # A call-off order needed in ten weeks whose goods cannot load before the licence ends.
        _shipment(b, after_expiry, Decimal("0.2"), status="planned",
                  etd=max(after_expiry.valid_until + dt.timedelta(days=12), b.today + dt.timedelta(days=5)),
                  purchase_order=_call_off(b, after_expiry, "C1", needed_in=70),
                  notes="The supplier cannot load before the licence ends: ask for an extension.")
        for held, days in ((held_first, 2), (held_second, 6)):
            on = _working_days_before(b, b.today, days)
            _shipment(b, held, Decimal("0.25"), status="held", etd=on, held_on=on,
                      notes="GAC query: HS code and Dy content of the goods.")
        etd = b.today - dt.timedelta(days=45)
        _shipment(b, late, Decimal("0.15"), status="in_transit", etd=etd, actual_ship_date=etd,
                  eta=b.today - dt.timedelta(days=4), notes="Vessel rolled over at Singapore.")
        etd = b.today - dt.timedelta(days=40)
        _shipment(b, at_customs, Decimal("0.1"), status="at_customs", etd=etd, actual_ship_date=etd,
                  eta=b.today - dt.timedelta(days=1))
        # Booked to sail in ten days for a call-off order needed in a month: it arrives too late.
        _shipment(b, booked, Decimal("0.1"), status="booked", etd=b.today + dt.timedelta(days=10),
                  purchase_order=_call_off(b, booked, "C2", needed_in=30))
        _shipment(b, cancelled, Decimal("0.1"), status="cancelled", etd=b.today + dt.timedelta(days=20),
                  notes="Customer pushed the programme to next year.")
        special = {lic.pk for lic in picks}
        # One licence used up: its last shipment takes the whole balance (the licence turns exhausted).
        if spare := [lic for lic in active if lic.pk not in special]:
            etd = max(spare[0].valid_from, b.today - dt.timedelta(days=30))
            _shipment(b, spare[0], Decimal("0.6"), status="delivered", etd=etd, actual_ship_date=etd,
                      eta=etd + dt.timedelta(days=5), arrived_on=etd + dt.timedelta(days=6))
            _shipment(b, spare[0], None, status="booked", etd=b.today + dt.timedelta(days=14))
            special.add(spare[0].pk)
    for licence in licences:
        first = licence.valid_from + dt.timedelta(days=b.rng.randint(8, 30))
        _past_shipment(b, licence, Decimal("0.4") if licence.pk in special else Decimal("0.5"), first)
        if b.rng.random() < 0.6:
            _past_shipment(b, licence, Decimal("0.3"), first + dt.timedelta(days=b.rng.randint(45, 120)))


# --- Exposure: own products, rates, orders of the suspended elements, a scenario -----------------

# (sku, name, unit value, currency, destinations, [(element, grams, China?, value, currency)])
PRODUCTS = [
    ("RA-TM-150", "150 kW traction motor", "1850.00", "EUR", "DE FR US",
     [("Dy", "38", True, "2.10", "USD"), ("Tb", "6", True, "0.95", "USD"), ("Nd", "1900", True, "140.00", "USD")]),
    ("KP-SV-400", "400 W servo motor", "2400.00", "USD", "JP US",
     [("Dy", "4", True, "1.20", "USD"), ("Dy", "3", False, "0.90", "USD")]),
    ("LO-LED-E27", "E27 LED lamp with europium phosphor", "3.20", "EUR", "NL US",
     [("Eu", "0.002", True, "0.0036", "USD"), ("Y", "0.04", True, "0.0008", "USD")]),
    ("ND-GEN-3MW", "3 MW permanent-magnet generator", "410000.00", "EUR", "DK GB",
     [("Nd", "600000", False, "36000.00", "USD"), ("Dy", "12000", False, "4300.00", "USD")]),
]
FX = [("EUR", "USD", dt.date(2025, 1, 1), "1.0850"), ("EUR", "USD", dt.date(2026, 1, 1), "1.1600"),
      ("USD", "CNY", dt.date(2025, 1, 1), "7.2000"), ("USD", "JPY", dt.date(2025, 1, 1), "150.0000")]


def _exposure(b: _Build) -> int:
    """Products with their content, the FX table, two open orders of elements suspended by
    Announcement No. 70 and a six-month-extension scenario, so the what-if page shows something."""
    for currency, quote, valid_from, rate in FX:
        exposure.fx_rate_save(currency=currency, quote=quote, valid_from=valid_from, rate=Decimal(rate),
                              source="ECB reference rate (rounded)", actor=b.actor)
    for n, code in enumerate(("HO", "ER"), start=1):
        item = ControlledItem.objects.filter(code=code).first()
        if item is None:
            continue
        b.po_seq += 7
        services.purchase_order_save(
            number=str(b.po_seq), supplier=b.suppliers[n], order_date=b.today - dt.timedelta(days=20),
            needed_by=b.today + dt.timedelta(days=150), external_ref=f"DEMO-PO-X{n}",
            lines=[{"item": item, "quantity": Decimal(400 * n), "unit": "kg", "unit_price": Decimal("95"),
                    "currency": "USD"}],
            actor=b.actor,
        )
    for sku, name, value, currency, destinations, contents in PRODUCTS:
        exposure.product_save(
            sku=sku, name=name, unit_value=Decimal(value), currency=currency, destinations=destinations,
            external_ref=f"DEMO-PRD-{sku}", actor=b.actor,
            contents=[{"element": e, "mass_g": Decimal(g), "china_origin": cn, "value": Decimal(v), "currency": c,
                       "supplier": b.suppliers[0] if cn else None} for e, g, cn, v, c in contents],
        )
    decision = PendingDecision.objects.filter(code="no70").first()
    if decision is not None:
        scenario, _ = Scenario.objects.get_or_create(
            name="Suspension extended by six months (demo)",
            defaults={"description": "Announcement No. 70 extended to 10 May 2027."},
        )
        ScenarioOutcome.objects.get_or_create(
            scenario=scenario, decision=decision,
            defaults={"outcome": Outcome.EXTENDED, "extended_until": dt.date(2027, 5, 10)},
        )
    return len(PRODUCTS)


@transaction.atomic
def build_demo_data(*, actor=None) -> dict[str, int]:
    """Build the demo data set (once: call ``demo_data_loaded`` first). Returns counts."""
    b = _Build(today=clock.today(), cal=clock.calendar(), rng=random.Random(SEED), actor=actor)
    _suppliers(b)
    _items(b)
    applications = _applications(b)
    _shipments(b)
    _order_without_application(b)
    products = _exposure(b)
    licensing.licences_expire(b.today)
    return {
        "products": products,
        "suppliers": len(b.suppliers),
        "applications": len(applications),
        "licences": Licence.objects.filter(application__external_ref__startswith="DEMO-APP-").count(),
        "shipments": b.shipment_seq,
    }
