"""The ordering every list uses (kept apart from viewsets.py: DRF imports it while loading settings)."""

from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """Ordering with ``id`` as the last key, so pages never overlap or skip rows with equal
    sort keys; ``updated_since`` without ``ordering`` orders by ``updated_at``, ``id``."""

    def get_ordering(self, request, queryset, view):
        explicit = request.query_params.get(self.ordering_param)
        ordering = super().get_ordering(request, queryset, view)
        if not explicit and "updated_since" in request.query_params:
            ordering = ["updated_at", "id"]
        ordering = list(ordering or queryset.model._meta.ordering or [])
        if not any(o.lstrip("-") in ("id", "pk") for o in ordering):
            ordering.append("id")
        return ordering
