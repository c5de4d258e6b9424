from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .todos import todos_for


@login_required
def home(request):
    from yizheng.org.permissions import roles_of

    return render(
        request, "core/home.html", {"todos": todos_for(request.user), "roles": roles_of(request.user)}
    )
