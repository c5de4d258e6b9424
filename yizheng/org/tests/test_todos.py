import pytest
from django.urls import reverse

from yizheng.org.models import ImportJob, Role

pytestmark = pytest.mark.django_db


def test_home_is_honest_when_nothing_is_due(client, make_user, council):
    client.force_login(make_user(Role.STAFF, council))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert 'data-testid="todos-empty"' in response.content.decode()


def test_staff_sees_a_clean_dry_run_waiting_for_confirmation(client, make_user, council):
    staff = make_user(Role.STAFF, council)
    ImportJob.objects.create(council=council, kind="members", created_by=staff, original_name="a.xlsx",
                             dry_run=True, status=ImportJob.Status.CHECKED)  # fmt: skip
    ImportJob.objects.create(council=council, kind="members", created_by=staff, original_name="b.xlsx",
                             dry_run=True, status=ImportJob.Status.FAILED)  # fmt: skip
    client.force_login(staff)
    body = client.get(reverse("home")).content.decode()
    assert "等待确认的导入" in body
    assert reverse("import_list") in body


def test_security_admin_sees_locked_accounts(client, make_user, council):
    secadmin = make_user(Role.SECURITY_ADMIN, council)
    victim = make_user(Role.MEMBER, council, username="victim")
    for _ in range(5):
        client.post(reverse("login"), {"username": victim.username, "password": "wrong-Password-1"},
                    REMOTE_ADDR="10.0.0.9")  # fmt: skip
    client.force_login(secadmin)
    body = client.get(reverse("home")).content.decode()
    assert "被锁定的账号" in body
    # Other roles are not told.
    client.force_login(make_user(Role.STAFF, council))
    assert "被锁定的账号" not in client.get(reverse("home")).content.decode()
