"""Admin saves that carry rules go through licensing.services."""

import datetime as dt

from licensing.models import ApplicationStatus as S
from licensing.models import CalendarOverride, LicenceApplication, PublishedCalendarYear

D = dt.date
INLINES = {
    f"{prefix}-{key}": value
    for prefix in ("lines", "events")
    for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"), ("MAX_NUM_FORMS", "1000"))
}


def _accepted(make_application):
    from licensing import services

    application = make_application(S.SUBMITTED, start=D(2025, 9, 22))
    return services.application_transition(application=application, to=S.ACCEPTED, on=D(2025, 9, 26))


def test_an_override_saved_in_the_admin_recomputes_due_dates(client, admin_user, make_application, frozen_today):
    application = _accepted(make_application)
    client.force_login(admin_user)
    response = client.post(
        "/admin/licensing/calendaroverride/add/", {"date": "2025-11-14", "kind": "day_off", "note": "Typhoon"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.decision_due == D(2025, 12, 5)
    assert CalendarOverride.history.get().history_user == admin_user

    override = CalendarOverride.objects.get()
    response = client.post(f"/admin/licensing/calendaroverride/{override.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.decision_due == D(2025, 12, 4)


def test_a_year_published_in_the_admin_is_no_longer_estimated(client, admin_user, make_application):
    from licensing import services

    from .helpers import at

    with at(D(2026, 11, 20)):
        application = make_application(S.SUBMITTED, start=D(2026, 10, 30))
        services.application_transition(application=application, to=S.ACCEPTED, on=D(2026, 11, 2))
        client.force_login(admin_user)
        response = client.post("/admin/licensing/publishedcalendaryear/add/", {"year": "2027", "source": "国办发明电"})
    assert response.status_code == 302 and PublishedCalendarYear.objects.filter(year=2027).exists()
    application.refresh_from_db()
    assert not application.decision_due_estimated


def test_an_exemption_set_in_the_admin_clears_the_due_date(client, admin_user, make_application, frozen_today):
    application = _accepted(make_application)
    client.force_login(admin_user)
    data = {
        "supplier": application.supplier_id, "end_user": application.end_user, "destination_country": "DE",
        "kind": "single", "time_limit_exemption": "watch_list", "external_ref": "", **INLINES,
    }
    response = client.post(f"/admin/licensing/licenceapplication/{application.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    application.refresh_from_db()
    assert application.decision_due is None
    assert application.history.first().history_user == admin_user


def test_an_application_added_in_the_admin_gets_a_reference(client, admin_user, supplier, frozen_today):
    client.force_login(admin_user)
    data = {"supplier": supplier.pk, "end_user": "Motor Works GmbH", "destination_country": "DE", "kind": "single",
            **INLINES}
    for _ in range(2):  # twice: the second must not collide with the first's reference
        response = client.post("/admin/licensing/licenceapplication/add/", data)
        assert response.status_code == 302, response.content.decode()[:3000]
    references = sorted(LicenceApplication.objects.values_list("reference", flat=True))
    assert len(references) == 2 and all(r.startswith("LA-2025-") for r in references)
    assert set(LicenceApplication.objects.values_list("status", flat=True)) == {S.DRAFT}


def test_the_admin_lists_applications(client, admin_user, make_application, frozen_today):
    application = _accepted(make_application)
    client.force_login(admin_user)
    response = client.get("/admin/licensing/licenceapplication/")
    assert response.status_code == 200
    assert application.reference in response.content.decode()
