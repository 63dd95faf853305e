"""Template helpers for the UI: roles, badges, sortable headers and server-rendered SVG charts.

The charts are plain SVG written by the server (no JavaScript, no CDN): they print, they work
offline, and a screen reader gets the numbers from the <title> of each bar.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse

from core.roles import has_role as _has_role
from core.roles import user_role

register = template.Library()

# Status value -> badge tone; anything unknown is neutral.
TONES = {
    "draft": "muted",
    "documents_pending": "info",
    "submitted": "info",
    "accepted": "primary",
    "supplement_requested": "warning",
    "approved": "success",
    "rejected": "danger",
    "withdrawn": "muted",
    "active": "success",
    "exhausted": "muted",
    "expired": "danger",
    "revoked": "danger",
    "planned": "muted",
    "booked": "info",
    "in_transit": "primary",
    "at_customs": "warning",
    "held": "danger",
    "delivered": "success",
    "cancelled": "muted",
    "open": "primary",
    "closed": "muted",
    "high": "success",
    "medium": "warning",
    "low": "danger",
}


@register.filter
def has_role(user, role: str) -> bool:
    return _has_role(user, role)


@register.filter
def role_label(user) -> str:
    role = user_role(user)
    return role.label if role else "No role"


@register.filter
def tone(value: str) -> str:
    return TONES.get(str(value), "neutral")


@register.filter
def qty(value: Any) -> str:
    """A quantity without trailing zeros: 1000.000 -> 1,000; 12.500 -> 12.5."""
    if value in (None, ""):
        return ""
    d = Decimal(value).quantize(Decimal("0.001")).normalize()
    text = f"{d:,f}"
    return text


@register.inclusion_tag("core/_sort_th.html", takes_context=True)
def sort_th(context, key: str, label: str, numeric: bool = False) -> dict:
    current = context.get("sort", "")
    active = current.lstrip("-") == key
    descending = active and current.startswith("-")
    return {
        "request": context["request"],
        "label": label,
        "next_sort": key if descending or not active else f"-{key}",
        "active": active,
        "descending": descending,
        "numeric": numeric,
    }


def _num(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _figure(value: Any) -> str:
    """A chart figure as people read it: 50 rather than 50.0, 47.5 kept."""
    number = _num(value)
    return f"{number:.0f}" if number == round(number) else f"{number:.1f}"


@register.filter
def figure(value: Any) -> str:
    return "" if value is None else _figure(value)


@register.inclusion_tag("core/_hbar_chart.html")
def hbar_chart(
    rows,
    *,
    label: str = "label",
    value: str = "value",
    href: str = "href",
    unit: str = "",
    note: str = "",
    width: int = 900,
):
    """Horizontal bars, one per row (dicts or objects); bars scale to the largest value."""
    data = []
    for row in rows:
        get = row.get if isinstance(row, dict) else (lambda name, default=None, r=row: getattr(r, name, default))
        data.append({"label": str(get(label, "")), "value": get(value, 0), "href": get(href, "") or ""})
    top = max((_num(d["value"]) for d in data), default=0) or 1
    bar_h, gap = 20, 8
    label_w = min(260, int(width * 0.36))
    track_w = width - label_w - 60  # room on the right for the value
    for i, d in enumerate(data):
        d["y"] = i * (bar_h + gap)
        d["w"] = round(track_w * _num(d["value"]) / top, 1)
        d["text_y"] = d["y"] + bar_h / 2 + 4
        d["value_x"] = label_w + d["w"] + 8
        d["shown"] = _figure(d["value"])
        # About 8 px a character at the chart's font size: longer labels are cut with an
        # ellipsis (the full label stays in the bar's tooltip) rather than clipped at the edge.
        fits = label_w // 8
        d["short"] = d["label"] if len(d["label"]) <= fits else d["label"][: fits - 1] + "…"
    return {
        "data": data,
        "unit": unit,
        "note": note,
        "bar_h": bar_h,
        "label_w": label_w,
        "width": width,
        "track_w": track_w,
        "height": max(len(data) * (bar_h + gap) - gap, bar_h),
    }


@register.inclusion_tag("core/_balance_bar.html")
def balance_bar(approved, used, reserved, unit: str = "") -> dict:
    """A licence line: used (solid), reserved (hatched), balance (empty) out of the approved quantity."""
    total = _num(approved) or 1
    used_w = max(0.0, min(100.0, 100 * _num(used) / total))
    reserved_w = max(0.0, min(100.0 - used_w, 100 * _num(reserved) / total))
    over = _num(used) + _num(reserved) > _num(approved)
    return {
        "used_w": round(used_w, 2),
        "reserved_w": round(reserved_w, 2),
        "reserved_x": round(used_w, 2),
        "approved": approved,
        "used": used,
        "reserved": reserved,
        "unit": unit,
        "over": over,
        "balance": Decimal(approved or 0) - Decimal(used or 0) - Decimal(reserved or 0),
        "share_left": round(max(0.0, 100 - used_w - reserved_w)),
    }


@register.filter
def nav_active(path: str, url_name: str) -> str:
    """"active" when the page is the named URL or below it (the dashboard only at "/" itself)."""
    prefix = reverse(url_name)
    if prefix == "/":
        return "active" if path == "/" else ""
    return "active" if path.startswith(prefix) else ""


@register.filter
def absolute(value):
    try:
        return abs(value)
    except TypeError:
        return value
