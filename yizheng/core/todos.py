"""The home page is a to-do list (待办). Each app registers a provider that returns the user's open items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Todo:
    title: str | Promise
    url: str
    count: int
    hint: str | Promise = ""
    urgent: bool = False


TodoProvider = Callable[[object], list[Todo]]
_providers: list[TodoProvider] = []


def register(provider: TodoProvider) -> TodoProvider:
    _providers.append(provider)
    return provider


def todos_for(user) -> list[Todo]:
    items: list[Todo] = []
    for provider in _providers:
        items.extend(t for t in provider(user) if t.count)
    return sorted(items, key=lambda t: (not t.urgent, str(t.title)))
