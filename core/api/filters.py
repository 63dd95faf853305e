"""The ordering every list uses (kept apart from viewsets.py: DRF imports it while loading settings)."""

from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """Ordering with ``id`` as the last key, so pages never overlap or skip rows with equal
    sort keys; ``updated_since`` or ``cursor`` without ``ordering`` orders by ``updated_at``, ``id``
    (the keyset of the sync cursor, core.api.pagination)."""

    def get_ordering(self, request, queryset, view):
        explicit = request.query_params.get(self.ordering_param)
        ordering = super().get_ordering(request, queryset, view)
        params = request.query_params
        synced = any(f.name == "updated_at" for f in queryset.model._meta.get_fields())
        if not explicit and synced and ("updated_since" in params or "cursor" in params):
            ordering = ["updated_at", "id"]
        ordering = list(ordering or queryset.model._meta.ordering or [])
        if not any(o.lstrip("-") in ("id", "pk") for o in ordering):
            ordering.append("id")
        return ordering
