"""Export of every list with its filters; import of orders and shipments with a preview,
row-level errors and an all-or-nothing commit."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exports import Column, export_csv
from core.spreadsheets import read_table
from shipments.models import Shipment
from suppliers.models import PurchaseOrder

LISTS = ["/applications/", "/licences/", "/shipments/", "/suppliers/", "/purchase-orders/", "/policy/?view=list"]


def xlsx_rows(response) -> list[tuple]:
    body = b"".join(response.streaming_content)  # streamed from a temporary file
    return list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


@pytest.mark.django_db
def test_every_list_exports_to_csv_and_xlsx(scene, viewer, client):
    client.force_login(viewer)
    for url in LISTS:
        sep = "&" if "?" in url else "?"
        csv_response = client.get(f"{url}{sep}export=csv")
        assert csv_response["Content-Type"].startswith("text/csv"), url
        text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        xlsx_response = client.get(f"{url}{sep}export=xlsx")
        assert xlsx_response["Content-Disposition"].endswith('.xlsx"'), url
        assert len(xlsx_rows(xlsx_response)) == len(rows) > 1, url


@pytest.mark.django_db
def test_exports_keep_the_current_filters(scene, viewer, client):
    client.force_login(viewer)
    rows = xlsx_rows(client.get("/applications/?status=accepted&export=xlsx"))
    assert {r[0] for r in rows[1:]} == {scene.apps["due"].reference, scene.apps["overdue"].reference}
    due = next(r for r in rows if r[0] == scene.apps["due"].reference)
    assert due[10].date().isoformat() == "2025-12-04"  # dates stay dates in XLSX


def test_csv_cells_that_spreadsheets_would_run_are_neutralised():
    response = export_csv([{"v": '=HYPERLINK("http://x")'}, {"v": "-2+3"}], [Column("V", lambda r: r["v"])], "t")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'-2+3" in text


def test_read_table_reads_csv_with_semicolons_and_xlsx():
    rows = read_table(b"Reference;Item\nBL-1;DY2O3\n\n", "x.csv")
    assert [(r.number, r.values) for r in rows] == [(2, {"reference": "BL-1", "item": "DY2O3"})]
    wb = openpyxl.Workbook()
    wb.active.append(["Planned ship date", "Quantity"])
    import datetime as dt

    wb.active.append([dt.datetime(2025, 12, 10), 12.0])
    buffer = io.BytesIO()
    wb.save(buffer)
    assert read_table(buffer.getvalue(), "x.xlsx")[0].values == {"planned_ship_date": "2025-12-10", "quantity": "12"}


SHIPMENTS = (
    "reference,supplier,item,quantity,unit,licence,status,planned_ship_date,eta\n"
    "BL-IMP-1,Baotou Rare Earth Magnet Co.,DY2O3,100,kg,LIC-2025-0812,planned,2025-12-10,2026-01-20\n"
    "BL-IMP-1,Baotou Rare Earth Magnet Co.,TB-METAL,20,kg,LIC-2025-0812,planned,2025-12-10,2026-01-20\n"
    "BL-IMP-2,Nobody Ltd,DY2O3,abc,kg,,shipped,2025-13-01,\n"
    "BL-IMP-3,Baotou Rare Earth Magnet Co.,DY2O3,5000,kg,LIC-2025-0812,planned,2025-12-10,2026-01-20\n"
)


def post_file(client, url: str, name: str, content: bytes):
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


@pytest.mark.django_db
def test_a_shipment_import_lists_every_bad_cell_and_the_over_draw_and_imports_nothing(scene, procurement, client):
    client.force_login(procurement)
    response = post_file(client, "/shipments/import/", "s.csv", SHIPMENTS.encode())
    assert response.status_code == 422
    errors = {(e.row, e.column) for e in response.context["result"].errors}
    assert errors == {(4, "supplier"), (4, "quantity"), (4, "status"), (4, "planned_ship_date"), (5, "quantity")}
    over = next(e for e in response.context["result"].errors if e.row == 5)
    assert "LIC-2025-0812 has" in over.message
    assert not Shipment.objects.filter(reference__startswith="BL-IMP").exists()
    assert client.post("/shipments/import/", {"action": "commit"}).status_code == 302  # nothing stored to commit
    assert not Shipment.objects.filter(reference__startswith="BL-IMP").exists()


@pytest.mark.django_db
def test_a_clean_shipment_file_previews_then_commits_in_one_go(scene, procurement, client):
    client.force_login(procurement)
    good = "\n".join(SHIPMENTS.splitlines()[:3]) + "\n"
    response = post_file(client, "/shipments/import/", "s.csv", good.encode())
    assert response.status_code == 200 and response.context["result"].ok
    assert not Shipment.objects.filter(reference="BL-IMP-1").exists()  # the preview rolled back
    response = client.post("/shipments/import/", {"action": "commit"})
    assert response.status_code == 302
    shipment = Shipment.objects.get(reference="BL-IMP-1")
    assert shipment.licence.number == "LIC-2025-0812" and shipment.lines.count() == 2


@pytest.mark.django_db
def test_a_purchase_order_xlsx_imports_and_updates_by_number(scene, procurement, client):
    client.force_login(procurement)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Number", "Supplier", "Order date", "Needed by", "Item", "Quantity", "Unit price"])
    ws.append(["PO-2025-1201", "Baotou Rare Earth Magnet Co.", "2025-09-15", "2026-04-30", "DY2O3", 750, 305])
    ws.append(["PO-IMP-9", "Ganzhou Dysprosium Metals", "2025-11-02", "", "TB-METAL", 40, None])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = post_file(client, "/purchase-orders/import/", "orders.xlsx", buffer.getvalue())
    assert response.context["result"].ok, response.context["result"].errors
    assert [r["action"] for r in response.context["result"].records] == ["update", "create"]
    client.post("/purchase-orders/import/", {"action": "commit"})
    updated = PurchaseOrder.objects.get(number="PO-2025-1201")
    assert str(updated.needed_by) == "2026-04-30" and updated.lines.get().quantity == 750
    assert PurchaseOrder.objects.filter(number="PO-IMP-9").exists()


@pytest.mark.django_db
def test_a_file_missing_columns_or_of_another_type_is_refused_clearly(scene, procurement, client):
    client.force_login(procurement)
    response = post_file(client, "/purchase-orders/import/", "o.csv", b"number,supplier\nPO-1,X\n")
    assert {e.column for e in response.context["result"].errors} == {"order_date", "item", "quantity"}
    response = post_file(client, "/purchase-orders/import/", "o.pdf", b"%PDF-1.4")
    assert "Upload a .csv or .xlsx file." in response.content.decode()


@pytest.mark.django_db
def test_the_import_template_is_a_file_the_import_accepts(scene, procurement, client):
    client.force_login(procurement)
    template = b"".join(client.get("/purchase-orders/import/?template=csv").streaming_content)
    response = post_file(client, "/purchase-orders/import/", "template.csv", template)
    assert response.context["result"].ok, response.context["result"].errors


@pytest.mark.django_db
def test_imports_need_the_procurement_role(scene, viewer, client):
    client.force_login(viewer)
    assert post_file(client, "/shipments/import/", "s.csv", SHIPMENTS.encode()).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("written", ["03/12/2026", "3.12.26", "2026-12-3", "12 Mar 2026"])
def test_a_date_that_is_not_iso_is_a_row_error_naming_its_column(scene, procurement, client, written):
    from core.parsing import DATE_MESSAGE

    client.force_login(procurement)
    body = "\n".join(SHIPMENTS.splitlines()[:2]).replace("2025-12-10", written) + "\n"
    response = post_file(client, "/shipments/import/", "s.csv", body.encode())
    assert response.status_code == 422
    [error] = response.context["result"].errors
    assert (error.row, error.column, error.message) == (2, "planned_ship_date", DATE_MESSAGE)
    assert DATE_MESSAGE in response.content.decode()


@pytest.mark.django_db
def test_the_preview_shows_the_dates_it_read(scene, procurement, client):
    client.force_login(procurement)
    good = "\n".join(SHIPMENTS.splitlines()[:3]) + "\n"
    page = post_file(client, "/shipments/import/", "s.csv", good.encode()).content.decode()
    assert "ships 2025-12-10" in page and "ETA 2026-01-20" in page


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/shipments/import/", "/purchase-orders/import/", "/products/import/"])
def test_every_templates_example_rows_import_and_commit(scene, procurement, client, url):
    from django.apps import apps

    client.force_login(procurement)
    template = b"".join(client.get(f"{url}?template=csv").streaming_content)
    response = post_file(client, url, "template.csv", template)
    assert response.status_code == 200 and response.context["result"].ok, response.context["result"].errors
    records = response.context["result"].records
    model = {"/shipments/": Shipment, "/purchase-orders/": PurchaseOrder}.get(
        url.replace("import/", ""), apps.get_model("exposure", "Product")
    )
    before = model.objects.count()
    assert client.post(url, {"action": "commit"}).status_code == 302
    created = sum(1 for r in records if r["action"] == "create")
    assert model.objects.count() == before + created and records


@pytest.mark.django_db
def test_a_shipment_file_sets_the_customs_question_and_a_file_without_the_column_keeps_it(scene, procurement, client):
    client.force_login(procurement)
    header = "reference,supplier,item,quantity,status,held_on,customs_question\n"
    row = 'BL-IMP-Q,Baotou Rare Earth Magnet Co.,DY2O3,10,held,2025-11-28,"Certificate of origin?\nAnd the invoice."\n'
    response = post_file(client, "/shipments/import/", "s.csv", (header + row).encode())
    assert response.status_code == 200, response.context["result"].errors
    client.post("/shipments/import/", {"action": "commit"})
    assert Shipment.objects.get(reference="BL-IMP-Q").customs_question == "Certificate of origin?\nAnd the invoice."
    # The same shipment from a file without the column: the question stays.
    post_file(
        client,
        "/shipments/import/",
        "s.csv",
        b"reference,supplier,item,quantity,status,held_on\n"
        b"BL-IMP-Q,Baotou Rare Earth Magnet Co.,DY2O3,12,held,2025-11-28\n",
    )
    client.post("/shipments/import/", {"action": "commit"})
    shipment = Shipment.objects.get(reference="BL-IMP-Q")
    assert (
        shipment.lines.get().quantity == 12 and shipment.customs_question == "Certificate of origin?\nAnd the invoice."
    )
    # A blank cell in the column clears it.
    post_file(client, "/shipments/import/", "s.csv", (header + row.split('"')[0] + "\n").encode())
    client.post("/shipments/import/", {"action": "commit"})
    assert Shipment.objects.get(reference="BL-IMP-Q").customs_question == ""


@pytest.mark.django_db
def test_a_bad_customs_question_is_a_row_error_naming_its_column(scene, procurement, client):
    client.force_login(procurement)
    body = "reference,supplier,item,quantity,customs_question\nBL-IMP-Q,Baotou Rare Earth Magnet Co.,DY2O3,10,a\x9bb\n"
    response = post_file(client, "/shipments/import/", "s.csv", body.encode())
    assert response.status_code == 422
    [error] = response.context["result"].errors
    assert (error.row, error.column, error.message) == (
        2,
        "customs_question",
        "Control characters are not allowed in text (tab and line breaks are) (found U+009B).",
    )
    assert not Shipment.objects.filter(reference="BL-IMP-Q").exists()


@pytest.mark.django_db
def test_the_import_template_and_the_export_carry_the_customs_question(scene, procurement, client):
    client.force_login(procurement)
    template = b"".join(client.get("/shipments/import/?template=csv").streaming_content).decode("utf-8-sig")
    assert "customs_question" in template.splitlines()[0].split(",")
    shipment = Shipment.objects.first()
    Shipment.objects.filter(pk=shipment.pk).update(customs_question="Origin of the oxide?")
    rows = xlsx_rows(client.get("/shipments/?export=xlsx"))
    column = rows[0].index("Customs question")
    assert "Origin of the oxide?" in [r[column] for r in rows[1:]]


def preview_and_commit(client, url: str, body: str) -> list[tuple[str, str]]:
    """Preview a CSV (it must be clean), commit it: the preview's (action, status) per record."""
    response = post_file(client, url, "file.csv", body.encode())
    assert response.status_code == 200, response.context["result"].errors
    client.post(url, {"action": "commit"})
    return [(r["action"], r["status"]) for r in response.context["result"].records]


@pytest.mark.django_db
def test_a_file_without_some_columns_updates_only_what_it_gives(scene, procurement, client):
    """A delivered shipment with an ERP key, an order and an ETA, re-imported from a file that has
    only the reference, supplier and lines (an older file, another system's export): its lines
    change and nothing else; a blank ERP key cell keeps the key, a blank ETA cell clears the ETA."""
    client.force_login(procurement)
    shipment = scene.shipments["fine"]  # delivered, arrived 28 Sep 2025
    Shipment.objects.filter(pk=shipment.pk).update(external_ref="SAP-SHIP-77", purchase_order=scene.orders["ok"])
    before = Shipment.objects.get(pk=shipment.pk)
    body = f"reference,supplier,item,quantity\n{shipment.reference},Baotou Rare Earth Magnet Co.,DY2O3,350\n"
    assert preview_and_commit(client, "/shipments/import/", body) == [("update", "delivered")]
    after = Shipment.objects.get(pk=shipment.pk)
    assert after.lines.get().quantity == 350
    kept = ("status", "external_ref", "purchase_order_id", "transport_mode", "planned_ship_date", "eta",
            "arrived_on", "licence_id")
    assert {f: getattr(after, f) for f in kept} == {f: getattr(before, f) for f in kept}

    body = (f"reference,supplier,item,quantity,external_ref,eta\n"
            f"{shipment.reference},Baotou Rare Earth Magnet Co.,DY2O3,350,,\n")
    preview_and_commit(client, "/shipments/import/", body)
    after = Shipment.objects.get(pk=shipment.pk)
    assert after.external_ref == "SAP-SHIP-77" and after.eta is None and after.status == "delivered"


@pytest.mark.django_db
def test_an_order_file_without_the_status_or_need_date_columns_keeps_them(scene, procurement, client):
    client.force_login(procurement)
    order = scene.orders["risk"]
    PurchaseOrder.objects.filter(pk=order.pk).update(status="closed", external_ref="SAP-PO-9")
    before = PurchaseOrder.objects.get(pk=order.pk)
    body = f"number,supplier,order_date,item,quantity\n{order.number},{order.supplier.name},2025-09-01,DY2O3,10\n"
    assert preview_and_commit(client, "/purchase-orders/import/", body) == [("update", "closed")]
    after = PurchaseOrder.objects.get(pk=order.pk)
    assert after.lines.get().quantity == 10
    assert (after.status, after.needed_by, after.external_ref) == (before.status, before.needed_by, "SAP-PO-9")
