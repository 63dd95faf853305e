"""A number too large for the decimal context (schemathesis sent 1.6e46 as a unit price) is a
row error naming the field, not a 500: quantizing it to the field's places raises."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("price", [1.644741005536462e46, "1e40"])
def test_a_huge_unit_price_in_a_bulk_row_is_a_row_error(erp, supplier, dy, price):
    row = {
        "external_ref": "PO-HUGE", "number": "PO-HUGE", "supplier": supplier.pk, "order_date": "2025-11-20",
        "lines": [{"item": "DY", "quantity": "1", "unit_price": price}],
    }
    assert_error(erp.post("/api/v1/purchase-orders/bulk/", [row], format="json"), 400,
                 "[0].lines[0].unit_price", "max_digits")
