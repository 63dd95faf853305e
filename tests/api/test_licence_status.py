"""The API maps a client's "revoked"/"active" onto licence_change, which decides the rest."""

from __future__ import annotations

import pytest

from licensing.models import Licence, LicenceStatus

from .conftest import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def test_extending_an_expired_licence_through_the_api_makes_it_active(erp, licence):
    Licence.objects.filter(pk=licence.pk).update(status=LicenceStatus.EXPIRED, valid_until="2025-07-01")
    r = erp.patch(f"/api/v1/licences/{licence.pk}/", {"valid_until": "2026-12-31"})
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "active"


def test_reinstating_through_the_api_after_the_end_date_gives_expired(erp, licence):
    Licence.objects.filter(pk=licence.pk).update(status=LicenceStatus.REVOKED, valid_until="2025-07-01")
    r = erp.patch(f"/api/v1/licences/{licence.pk}/", {"status": "active"})
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "expired"
    assert_error(erp.patch(f"/api/v1/licences/{licence.pk}/", {"status": "exhausted"}), 400, "status")
    r = erp.patch(f"/api/v1/licences/{licence.pk}/", {"status": "expired", "notes": "same status: no change"})
    assert r.status_code == 200, r.json()
