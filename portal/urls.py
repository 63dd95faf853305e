"""The supplier portal (public, token in the path) and procurement's invitation actions."""

from django.urls import path

from . import admin_views, views

app_name = "portal"
urlpatterns = [
    path("s/<str:token>/", views.home, name="home"),
    path("s/<str:token>/a/<int:pk>/", views.application, name="application"),
    path("s/<str:token>/a/<int:pk>/pack/", views.pack, name="pack"),
    path("s/<str:token>/a/<int:pk>/message/", views.message, name="message"),
    path("s/<str:token>/h/<int:pk>/", views.hold, name="hold"),
    path("s/<str:token>/language/", views.language, name="language"),
    path("suppliers/<int:pk>/portal/", admin_views.supplier_portal, name="supplier-portal"),
]
