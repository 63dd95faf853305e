from django.urls import path

from . import keys_views

urlpatterns = [
    path("", keys_views.api_keys, name="api-keys"),
    path("<int:pk>/revoke/", keys_views.api_key_revoke_view, name="api-key-revoke"),
]
