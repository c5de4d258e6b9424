"""站内消息: the user's own notifications, unread first; open one (marks it read), mark read, mark all read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yizheng.core.pagination import paginate

from . import selectors, services


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    page = paginate(request, selectors.notifications_for(request.user, unread_only=unread_only), per_page=30)
    context = {"page": page, "unread_only": unread_only, "unread": selectors.unread_count(request.user)}
    return render(request, "notifications/notification_list.html", context)


@login_required
def notification_open(request, pk: int):
    """Follow a notification's link (also the link in its email): mark it read, then go there."""
    notification = selectors.notification_for(request.user, pk)
    services.notification_mark_read(actor=request.user, notification=notification)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect("notification_list")
    return redirect(target)


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = selectors.notification_for(request.user, pk)
    services.notification_mark_read(actor=request.user, notification=notification)
    if _is_htmx(request):
        context = {"n": notification, "unread": selectors.unread_count(request.user), "oob": True}
        return render(request, "notifications/_read.html", context)
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request):
    count = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": count})
    return redirect("notification_list")


@login_required
def notification_badge(request):
    """The top bar's unread count, for htmx refreshes."""
    return render(request, "notifications/_badge.html", {"unread": selectors.unread_count(request.user)})
