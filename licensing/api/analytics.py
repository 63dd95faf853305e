"""``GET /api/v1/analytics/delays/``: delay analytics for dashboards and ERP reports.

Thin: parse the query string (a small FilterSet with the applications list's filters, and
``group_by``), call ``licensing.analytics.delay_stats``, return its rows. One query for the
figures whatever the number of applications.
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.fields import IdFilter
from core.api.permissions import ApiPermission
from core.api.schema import READ, errors

from ..analytics import GROUPINGS, delay_stats
from ..models import ApplicationLine, ApplicationStatus, LicenceApplication


class DelayFilter(django_filters.FilterSet):
    """The applications list's filters that make sense for decided applications."""

    # Bounded like every id filter: a huge number is a 400, not an overflow in the database.
    supplier = IdFilter(field_name="supplier_id", help_text="Supplier id.")
    status = django_filters.MultipleChoiceFilter(
        choices=ApplicationStatus.choices, help_text="approved or rejected (repeat for both)."
    )
    item = django_filters.CharFilter(method="filter_item", help_text="Controlled item code on any line.")
    accepted_on = django_filters.DateFromToRangeFilter(
        help_text="accepted_on_after / accepted_on_before (YYYY-MM-DD, inclusive)."
    )

    class Meta:
        model = LicenceApplication
        fields = ["supplier", "status", "item", "accepted_on"]

    def filter_item(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # EXISTS, not a join: an application with two lines of the item must count once.
        lines = ApplicationLine.objects.filter(application=OuterRef("pk"), item__code=value)
        return queryset.filter(Exists(lines))


class DelayGroupSerializer(serializers.Serializer):
    """One group of ``delay_stats`` (documentation of the response; rows are plain dicts)."""

    key = serializers.CharField(help_text="Supplier id, element symbol, YYYY-MM, YYYY-Qn or 'all'.")
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Applications decided after acceptance.")
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    pending = serializers.IntegerField(
        help_text="Accepted and not decided yet: a group with many is incomplete and its delays lean short."
    )
    approval_rate = serializers.FloatField(allow_null=True, help_text="approved / count, 0 to 1.")
    working_days_median = serializers.FloatField(allow_null=True)
    working_days_p75 = serializers.FloatField(allow_null=True)
    working_days_p90 = serializers.FloatField(allow_null=True)
    calendar_days_median = serializers.FloatField(allow_null=True)
    calendar_days_p75 = serializers.FloatField(allow_null=True)
    calendar_days_p90 = serializers.FloatField(allow_null=True)
    within_statutory = serializers.IntegerField()
    within_statutory_share = serializers.FloatField(
        allow_null=True, help_text="Share decided within the statutory review period, 0 to 1."
    )


class DelayAnalyticsSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=GROUPINGS)
    results = DelayGroupSerializer(many=True)


class DelayAnalyticsView(APIView):
    """Acceptance-to-decision delays of decided applications, grouped."""

    # The shared rule: any valid API key (read scope suffices) or a person with a role.
    permission_classes = [ApiPermission]
    # Declared so drf-spectacular documents the filters; get() applies the FilterSet itself.
    filter_backends = [DjangoFilterBackend]
    filterset_class = DelayFilter

    def get_queryset(self) -> QuerySet[LicenceApplication]:
        return LicenceApplication.objects.all()

    @extend_schema(
        operation_id="analytics_delays",
        summary="Approval delays by supplier, element, month or quarter of acceptance",
        description=(
            "Working days (Chinese calendar, supplement pauses excluded) and calendar days from "
            "acceptance to decision of approved and rejected applications: count, approval rate, "
            "median/p75/p90 (linear interpolation, as PostgreSQL's percentile_cont) and the share "
            "decided within the statutory period. By element, an application counts once for each "
            "distinct rare-earth element of its lines' items."
        ),
        parameters=[
            OpenApiParameter(
                "group_by", OpenApiTypes.STR, enum=list(GROUPINGS), default="all",
                description="How to group the decided applications.",
            ),
        ],
        responses={200: DelayAnalyticsSerializer, **errors(*READ)},
        filters=True,
    )
    def get(self, request: Request) -> Response:
        group_by = request.query_params.get("group_by", "all")
        if group_by not in GROUPINGS:
            raise ValidationError(
                {"group_by": [f"'{group_by}' is not a grouping. Use one of: {', '.join(GROUPINGS)}."]}
            )
        filterset = DelayFilter(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        rows = delay_stats(filterset.qs, group_by=group_by)
        for row in rows:
            row["key"] = str(row["key"])
        return Response({"group_by": group_by, "results": rows})
