"""Role-aware navigation: each app registers its entries with the permission that shows them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    perm: str | None  # None: every signed-in user
    order: int = 100
    check: Callable[[object], bool] | None = None  # a narrower test than the permission, when one is needed


_entries: list[NavEntry] = [NavEntry(_("待办"), "home", None, 0)]


def register(*entries: NavEntry) -> None:
    _entries.extend(entries)
    _entries.sort(key=lambda e: e.order)


def entries_for(user) -> list[dict]:
    from yizheng.org.permissions import can

    out = []
    for entry in _entries:
        if (entry.perm is None or can(user, entry.perm)) and (entry.check is None or entry.check(user)):
            out.append({"label": entry.label, "url": reverse(entry.url_name), "name": entry.url_name})
    return out
