"""UI pages (docs/architecture.md#ui) for the dashboard, suppliers, purchase orders, shipments and licences
(licence pages live here because their balances are drawn down by shipments)."""

from django.urls import path

from .views import dashboard, imports, licences, purchase_orders, shipments, suppliers

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("suppliers/", suppliers.supplier_list, name="supplier-list"),
    path("suppliers/new/", suppliers.supplier_create, name="supplier-create"),
    path("suppliers/<int:pk>/", suppliers.supplier_detail, name="supplier-detail"),
    path("suppliers/<int:pk>/edit/", suppliers.supplier_edit, name="supplier-edit"),
    path("purchase-orders/", purchase_orders.purchase_order_list, name="purchase-order-list"),
    path("purchase-orders/new/", purchase_orders.purchase_order_create, name="purchase-order-create"),
    path("purchase-orders/import/", imports.purchase_order_import, name="purchase-order-import"),
    path("purchase-orders/<int:pk>/", purchase_orders.purchase_order_detail, name="purchase-order-detail"),
    path("purchase-orders/<int:pk>/edit/", purchase_orders.purchase_order_edit, name="purchase-order-edit"),
    path("shipments/", shipments.shipment_list, name="shipment-list"),
    path("shipments/new/", shipments.shipment_create, name="shipment-create"),
    path("shipments/import/", imports.shipment_import, name="shipment-import"),
    path("shipments/<int:pk>/", shipments.shipment_detail, name="shipment-detail"),
    path("shipments/<int:pk>/edit/", shipments.shipment_edit, name="shipment-edit"),
    path("shipments/<int:pk>/documents/", shipments.shipment_document_upload, name="shipment-document"),
    path("shipments/<int:pk>/customs/", shipments.shipment_customs_answer, name="shipment-customs-answer"),
    path("licences/", licences.licence_list, name="licence-list"),
    path("licences/new/", licences.licence_create, name="licence-create"),
    path("licences/<int:pk>/", licences.licence_detail, name="licence-detail"),
    path("licences/<int:pk>/edit/", licences.licence_edit, name="licence-edit"),
    path("licences/<int:pk>/drawdown/", licences.licence_drawdown, name="licence-drawdown"),
]
