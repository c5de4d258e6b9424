"""`{% load notifications %}{% notifications_badge %}`: the top bar's link to the messages with the unread count."""

from django import template

from ..selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_badge.html", takes_context=True)
def notifications_badge(context):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return {"hidden": True}
    return {"unread": unread_count(user)}
