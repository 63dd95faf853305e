"""factory_boy factories for every domain model, shared by the whole suite."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from core.roles import assign_role
from licensing.models import (
    ApplicationLine,
    ControlledItem,
    Licence,
    LicenceApplication,
    LicenceLine,
    PolicyEvent,
)
from shipments.models import Shipment, ShipmentLine
from suppliers.models import PurchaseOrder, PurchaseOrderLine, Supplier


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        self.save()
        if extracted:
            assign_role(self, extracted)


class ControlledItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ControlledItem
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ITEM{n}")
    name = factory.LazyAttribute(lambda o: f"{o.code} oxide")
    elements = "Dy"
    form = "oxide"


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Baotou Magnet Co. {n}")
    country = "CN"


class PurchaseOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrder

    number = factory.Sequence(lambda n: f"PO-{n:05d}")
    supplier = factory.SubFactory(SupplierFactory)
    order_date = dt.date(2025, 9, 1)
    needed_by = dt.date(2026, 1, 31)


class PurchaseOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrderLine

    class Params:
        item = factory.SubFactory(ControlledItemFactory)  # lines name their item by code

    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    item_code = factory.LazyAttribute(lambda line: line.item.code)
    quantity = Decimal("100")
    unit = "kg"
    unit_price = Decimal("350.00")


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft application. Use licensing.services to move it: never set status directly
    in tests of behaviour (``status=...`` here is for building fixtures for reads)."""

    class Meta:
        model = LicenceApplication

    # Not the service's LA-<year>-<id> form, so a factory row never collides with a created one.
    reference = factory.Sequence(lambda n: f"LA-F-{n:05d}")
    supplier = factory.SubFactory(SupplierFactory)
    end_user = "Motor Works GmbH"
    end_use = "Traction motors for electric vehicles"
    destination_country = "DE"


class ApplicationLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApplicationLine

    application = factory.SubFactory(ApplicationFactory)
    item = factory.SubFactory(ControlledItemFactory)
    quantity = Decimal("500")
    unit = "kg"


class LicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Licence

    number = factory.Sequence(lambda n: f"LIC-{n:05d}")
    supplier = factory.SubFactory(SupplierFactory)
    valid_from = dt.date(2025, 6, 1)
    valid_until = dt.date(2026, 5, 31)


class LicenceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicenceLine

    licence = factory.SubFactory(LicenceFactory)
    item = factory.SubFactory(ControlledItemFactory)
    approved_quantity = Decimal("1000")
    unit = "kg"


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    supplier = factory.SubFactory(SupplierFactory)
    reference = factory.Sequence(lambda n: f"BL-{n:06d}")
    planned_ship_date = dt.date(2025, 10, 1)
    eta = dt.date(2025, 11, 5)


class ShipmentLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShipmentLine

    shipment = factory.SubFactory(ShipmentFactory)
    item = factory.SubFactory(ControlledItemFactory)
    quantity = Decimal("100")
    unit = "kg"


class PolicyEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyEvent

    date = dt.date(2025, 11, 1)
    title = factory.Sequence(lambda n: f"Policy event {n}")
    jurisdiction = "US"
    kind = "tariff_threat"
