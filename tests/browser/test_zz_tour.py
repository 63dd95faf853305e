import pytest
from .conftest import login
pytestmark = [pytest.mark.browser]

def test_tour(page, world):
    login(page, "chen")
    for name, url in [("apps", "/applications/"), ("ships", "/shipments/"), ("lic", f"/licences/{world.licences['long'].pk}/"),
                      ("liclist", "/licences/"), ("policy", "/policy/?month=2025-12"), ("policylist", "/policy/?view=list"),
                      ("shipform", "/shipments/new/"), ("import", "/shipments/import/"), ("pos", "/purchase-orders/"),
                      ("paused", f"/applications/{world.apps['paused'].pk}/"), ("h1", f"/applications/{world.apps['h1'].pk}/")]:
        page.goto(url)
        page.wait_for_timeout(300)
        page.screenshot(path=f"/tmp/ui-tour-{name}.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    page.screenshot(path="/tmp/ui-tour-mobile.png", full_page=False)
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto("/accounts/login/")
    page.screenshot(path="/tmp/ui-tour-login.png")
