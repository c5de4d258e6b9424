"""Reading the event store."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from .models import Event
from .services import target_type_of


def history_for(obj: models.Model) -> QuerySet[Event]:
    """Every event about one record, newest first (the record's audit trail / timeline)."""
    return Event.objects.for_target(target_type_of(obj), obj.pk).select_related("actor").order_by("-seq")
