"""Licences recorded with their lines, validity warnings and the expiry sweep."""

import datetime as dt

import pytest

from core.errors import DomainError
from licensing import services
from licensing.models import Licence, LicenceStatus
from tests.factories import LicenceFactory

D = dt.date


def _create(supplier, item, **overrides):
    data = {
        "number": "LIC-1", "supplier": supplier, "valid_from": "2025-11-01", "valid_until": "2026-10-31",
        "lines": [{"item": item, "approved_quantity": "1000", "unit": "kg"}],
    }
    data.update(overrides)
    return services.licence_create(**data)


def test_it_records_a_licence_with_its_lines(supplier, item, frozen_today):
    licence = _create(supplier, item)
    assert licence.status == LicenceStatus.ACTIVE and licence.warnings == []
    assert licence.lines.get().approved_quantity == 1000


def test_a_licence_already_past_its_end_is_recorded_expired(supplier, item, frozen_today):
    licence = _create(supplier, item, valid_from="2024-11-01", valid_until="2025-10-31")
    assert licence.status == LicenceStatus.EXPIRED


@pytest.mark.parametrize(
    ("kind", "valid_until", "warned"),
    [("single", "2026-10-31", False), ("single", "2026-11-01", False), ("single", "2026-11-02", True),
     ("general", "2028-11-01", False), ("general", "2028-11-02", True)],
)
def test_a_longer_validity_than_the_rules_is_accepted_with_a_warning(supplier, item, frozen_today, kind, valid_until,
                                                                     warned):
    licence = _create(supplier, item, kind=kind, valid_until=valid_until)
    assert Licence.objects.filter(pk=licence.pk).exists()
    assert bool(licence.warnings) is warned
    if warned:
        assert valid_until in licence.warnings[0]


def test_validity_warning_on_29_february():
    assert services.licence_validity_warnings("single", D(2028, 2, 29), D(2029, 2, 28)) == []
    assert services.licence_validity_warnings("single", D(2028, 2, 29), D(2029, 3, 1))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"valid_until": None}, "valid_until"),
        ({"valid_until": "2025-10-01"}, "valid_until"),
        ({"valid_from": "yesterday"}, "valid_from"),
        ({"lines": []}, "lines"),
        ({"number": ""}, "number"),
    ],
)
def test_bad_licence_input_names_the_field(supplier, item, frozen_today, overrides, field):
    with pytest.raises(DomainError) as exc:
        _create(supplier, item, **overrides)
    assert field in exc.value.message_dict
    assert not Licence.objects.exists()


def test_an_item_appears_once_per_licence(supplier, item, frozen_today):
    line = {"item": item, "approved_quantity": "10", "unit": "kg"}
    with pytest.raises(DomainError) as exc:
        _create(supplier, item, lines=[line, line])
    assert exc.value.error_dict["lines"][0].code == "duplicate_item"


def test_a_non_positive_line_quantity_is_refused(supplier, item, frozen_today):
    with pytest.raises(DomainError) as exc:
        _create(supplier, item, lines=[{"item": item, "approved_quantity": "0", "unit": "kg"}])
    assert "lines[0].__all__" in exc.value.message_dict or "lines[0].approved_quantity" in exc.value.message_dict


def test_the_expiry_sweep_marks_licences_past_their_end(db):
    active = LicenceFactory(valid_until=D(2025, 11, 30))
    exhausted = LicenceFactory(valid_until=D(2025, 11, 1), status=LicenceStatus.EXHAUSTED)
    last_day = LicenceFactory(valid_until=D(2025, 12, 1))
    revoked = LicenceFactory(valid_from=D(2024, 1, 1), valid_until=D(2025, 1, 1), status=LicenceStatus.REVOKED)

    assert services.licences_expire(D(2025, 12, 1)) == 2
    statuses = dict(Licence.objects.values_list("pk", "status"))
    assert statuses[active.pk] == statuses[exhausted.pk] == LicenceStatus.EXPIRED
    assert statuses[last_day.pk] == LicenceStatus.ACTIVE  # valid through its last day
    assert statuses[revoked.pk] == LicenceStatus.REVOKED
    assert services.licences_expire(D(2025, 12, 1)) == 0  # a second sweep changes nothing
