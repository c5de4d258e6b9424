"""审计日志: the audit administrator's only screens — the event trail, one event, the chain check, the export."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from yizheng.core.errors import ApplicationError
from yizheng.core.pagination import paginate

from .forms import EventFilterForm
from .selectors_trail import ACTION_LABELS, event_for, event_neighbours, events_visible_to, target_type_name
from .services_trail import chain_verify, events_export

# Action prefixes offered as suggestions in the filter (any prefix may be typed).
ACTION_HINTS = ("auth.", "auth.login", "auth.login_failed", "account.", "role.", "lockout.", "audit.",
                "council.", "member.", "unit.", "proposal.", "opinion.", "activity.", "followup.")  # fmt: skip


@login_required
def event_list(request):
    form = EventFilterForm(request.GET or None)
    page = paginate(request, events_visible_to(request.user, **form.filters()))
    for event in page.object_list:
        event.target_type_name = target_type_name(event.target_type)
        event.action_label = ACTION_LABELS.get(event.action, "")
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "action_hints": ACTION_HINTS, "query": query.urlencode()}
    return render(request, "audit/event_list.html", context)


@login_required
def event_detail(request, pk: int):
    event = event_for(request.user, pk)
    previous, following = event_neighbours(request.user, event)
    context = {
        "event": event,
        "target_type_name": target_type_name(event.target_type),
        "action_label": ACTION_LABELS.get(event.action, ""),
        "payload": json.dumps(event.payload, ensure_ascii=False, indent=2, sort_keys=True),
        "hash_ok": event.compute_hash() == event.hash,
        "previous": previous,
        "following": following,
    }
    return render(request, "audit/event_detail.html", context)


@login_required
@require_POST
def verify(request):
    result = chain_verify(actor=request.user)
    return render(request, "audit/verify.html", {"result": result})


@login_required
def export(request):
    form = EventFilterForm(request.GET or None)
    try:
        content, _count = events_export(actor=request.user, filters=form.filters())
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('audit_event_list')}?{request.GET.urlencode()}")
    name = f"audit-events-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("", event_list, name="audit_event_list"),
    path("events/<int:pk>/", event_detail, name="audit_event_detail"),
    path("verify/", verify, name="audit_verify"),
    path("export.xlsx", export, name="audit_event_export"),
]
