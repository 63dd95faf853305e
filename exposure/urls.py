"""UI pages of own products, the FX table, policy-event impact and the what-if page."""

from django.urls import path

from . import views

urlpatterns = [
    path("products/", views.product_list, name="product-list"),
    path("products/import/", views.product_import, name="product-import"),
    path("products/<int:pk>/", views.product_detail, name="product-detail"),
    path("what-if/", views.what_if_page, name="what-if"),
]
