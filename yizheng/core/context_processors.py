from django.conf import settings

from .navigation import entries_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"site_name": settings.YIZHENG_SITE_NAME, "nav": []}
    from yizheng.org.permissions import roles_of

    roles = roles_of(user)
    return {
        "site_name": settings.YIZHENG_SITE_NAME,
        "nav": entries_for(user),
        "my_roles": roles,
    }
