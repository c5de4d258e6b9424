"""The messages page: only the user's own notifications, unread first; open / mark read / mark all read; another
user's notification is 404; the top-bar badge; no N+1 on the list."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from yizheng.notifications.models import Notification
from yizheng.notifications.services import Draft, notifications_create
from yizheng.org.models import Role


def notify(user, n: int, *, prefix: str = "消息", url: str = "/proposals/1/") -> list[int]:
    return notifications_create(
        items=[
            Draft(
                recipient=user,
                kind="test",
                title=f"{prefix}{i}",
                body="内容",
                url=url,
                dedupe_key=f"t:{prefix}{i}",
            )
            for i in range(n)
        ]
    )


@pytest.fixture
def member(council, make_user):
    return make_user(Role.MEMBER, council)


@pytest.fixture
def stranger(other_council, make_user):
    return make_user(Role.UNIT_LIAISON, other_council)


def test_login_required(client):
    response = client.get(reverse("notification_list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_list_shows_only_my_notifications_unread_first(client, member, stranger):
    first, second, third = notify(member, 3)
    notify(stranger, 1, prefix="别人的")
    Notification.objects.filter(pk=third).update(read_at="2026-01-01T00:00:00Z")  # the newest is read
    client.force_login(member)
    response = client.get(reverse("notification_list"))
    assert response.status_code == 200
    page = [n.pk for n in response.context["page"].object_list]
    assert page == [second, first, third]
    html = response.content.decode()
    assert "别人的" not in html
    assert "2 条未读" in html
    unread = client.get(reverse("notification_list"), {"unread": "1"})
    assert [n.pk for n in unread.context["page"].object_list] == [second, first]


def test_open_marks_read_and_follows_the_link(client, member):
    (pk,) = notify(member, 1, url="/proposals/7/")
    client.force_login(member)
    response = client.get(reverse("notification_open", args=[pk]))
    assert response.status_code == 302
    assert response["Location"] == "/proposals/7/"
    assert Notification.objects.get(pk=pk).read_at is not None


def test_open_never_redirects_off_site(client, member):
    (pk,) = notify(member, 1, url="https://evil.example.com/")
    client.force_login(member)
    response = client.get(reverse("notification_open", args=[pk]))
    assert response["Location"] == reverse("notification_list")


def test_mark_read_and_mark_all_read(client, member, stranger):
    a, b, _c = notify(member, 3)
    (theirs,) = notify(stranger, 1)
    client.force_login(member)
    response = client.post(reverse("notification_read", args=[a]))
    assert response.status_code == 302
    assert Notification.objects.get(pk=a).read_at is not None
    assert Notification.objects.get(pk=b).read_at is None
    htmx = client.post(reverse("notification_read", args=[b]), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200
    assert f'id="notification-{b}"' in htmx.content.decode()
    assert "已读" in htmx.content.decode()
    response = client.post(reverse("notification_read_all"), follow=True)
    assert "已将 1 条消息标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs).read_at is None  # not someone else's


def test_mark_read_needs_post(client, member):
    (pk,) = notify(member, 1)
    client.force_login(member)
    assert client.get(reverse("notification_read", args=[pk])).status_code == 405
    assert client.get(reverse("notification_read_all")).status_code == 405
    assert Notification.objects.get(pk=pk).read_at is None


def test_another_users_notification_is_404(client, member, stranger, council, make_user):
    (theirs,) = notify(stranger, 1)
    (colleague,) = notify(make_user(Role.MEMBER, council), 1, prefix="同事的")
    client.force_login(member)
    for pk in (theirs, colleague, 999999):
        assert client.get(reverse("notification_open", args=[pk])).status_code == 404
        assert client.post(reverse("notification_read", args=[pk])).status_code == 404
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_badge_tag_and_partial(client, member):
    notify(member, 3)
    request = RequestFactory().get("/")
    request.user = member
    html = Template("{% load notifications %}{% notifications_badge %}").render(Context({"request": request}))
    assert reverse("notification_list") in html
    assert 'data-testid="unread-count">3<' in html
    client.force_login(member)
    partial = client.get(reverse("notification_badge")).content.decode()
    assert ">3<" in partial


def test_badge_is_empty_for_anonymous():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = Template("{% load notifications %}{% notifications_badge %}").render(Context({"request": request}))
    assert html.strip() == ""


def test_list_queries_do_not_grow_with_the_number_of_notifications(
    client, member, django_assert_max_num_queries
):
    notify(member, 30)
    client.force_login(member)
    client.get(reverse("notification_list"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("notification_list"))
    assert len(response.context["page"].object_list) == 30
