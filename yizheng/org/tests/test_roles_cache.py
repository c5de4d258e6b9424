"""The caller's roles kept between requests in the shared cache (`permissions.roles_of`): read once, then
from the cache; a grant, a revocation, a renamed unit or a deactivated account is seen on the next request,
whatever code path made the change, and a reader racing a revocation cannot put the revoked role back.
The shared cache is Redis in the scaled set-up; here the test's cache stands in for it (one process)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from yizheng.org import permissions
from yizheng.org import services_accounts as services
from yizheng.org.models import Role, RoleAssignment, User
from yizheng.org.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(settings):
    settings.SHARED_CACHE = True
    cache.clear()


def fresh(user) -> User:
    """The user as the next request loads it."""
    return User.objects.get(pk=user.pk)


def roles(user) -> set[tuple[str, int | None]]:
    return {(a.role, a.unit_id) for a in permissions.roles_of(fresh(user))}


def test_roles_are_read_once_then_come_from_the_shared_cache(
    shared, make_user, council, django_assert_num_queries
):
    liaison = make_user(Role.UNIT_LIAISON, council)
    user = fresh(liaison)
    with django_assert_num_queries(1):
        first = permissions.roles_of(user)
        permissions.roles_of(user)  # the same request: no second read
    user = fresh(liaison)
    with django_assert_num_queries(0):
        again = permissions.roles_of(user)
    assert [(a.pk, a.role, a.unit.name, a.council.path) for a in again] == [
        (a.pk, a.role, a.unit.name, a.council.path) for a in first
    ]


def test_without_a_shared_cache_every_request_reads_them(
    settings, make_user, council, django_assert_num_queries
):
    settings.SHARED_CACHE = False
    liaison = make_user(Role.UNIT_LIAISON, council)
    permissions.roles_of(fresh(liaison))
    user = fresh(liaison)
    with django_assert_num_queries(1):
        permissions.roles_of(user)


def test_grant_and_revoke_through_the_services_are_seen_at_once(shared, make_user, council):
    secadmin = make_user(Role.SECURITY_ADMIN, council)
    liaison = make_user(Role.UNIT_LIAISON, council)
    unit = liaison.role_assignments.get().unit
    assert roles(liaison) == {(Role.UNIT_LIAISON, unit.pk)}
    other = UnitFactory(council=council)
    granted = services.role_grant(actor=secadmin, user=fresh(liaison), council=council, role=Role.UNIT_REVIEWER,
                                  unit=other)  # fmt: skip
    assert roles(liaison) == {(Role.UNIT_LIAISON, unit.pk), (Role.UNIT_REVIEWER, other.pk)}
    services.role_revoke(actor=secadmin, assignment=granted)
    assert roles(liaison) == {(Role.UNIT_LIAISON, unit.pk)}


def test_changes_outside_the_services_are_seen_too(shared, make_user, council):
    liaison = make_user(Role.UNIT_LIAISON, council)
    assignment = liaison.role_assignments.get()
    assert roles(liaison) == {(Role.UNIT_LIAISON, assignment.unit_id)}
    RoleAssignment.objects.filter(pk=assignment.pk).delete()  # e.g. the Django admin
    assert roles(liaison) == set()
    RoleAssignment.objects.create(user=liaison, council=council, role=Role.STAFF, office="general")
    assert roles(liaison) == {(Role.STAFF, None)}


def test_a_renamed_unit_and_a_deactivated_account(shared, make_user, council):
    liaison = make_user(Role.UNIT_LIAISON, council)
    unit = liaison.role_assignments.get().unit
    assert permissions.roles_of(fresh(liaison))[0].unit.name == unit.name
    unit.name = "市发展和改革委员会"
    unit.save()
    assert permissions.roles_of(fresh(liaison))[0].unit.name == "市发展和改革委员会"
    User.objects.filter(pk=liaison.pk).update(is_active=False)
    assert permissions.roles_of(fresh(liaison)) == []


def test_a_reader_racing_a_revocation_cannot_put_the_role_back(
    shared, make_user, council, monkeypatch, django_capture_on_commit_callbacks
):
    """Another process asks between the revocation and its commit: it still reads the old rows and caches
    them under the version of that moment. The commit moves the version on again, so no later request gets
    them."""
    secadmin = make_user(Role.SECURITY_ADMIN, council)
    liaison = make_user(Role.UNIT_LIAISON, council)
    assignment = liaison.role_assignments.get()
    read = permissions._read_roles
    before_commit = read(fresh(liaison))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.role_revoke(actor=secadmin, assignment=assignment)
        monkeypatch.setattr(permissions, "_read_roles", lambda user: before_commit)
        assert {a.role for a in permissions.roles_of(fresh(liaison))} == {Role.UNIT_LIAISON}
        monkeypatch.setattr(permissions, "_read_roles", read)
    assert callbacks  # the commit moved the version on
    assert roles(liaison) == set()


def test_an_evicted_version_starts_afresh(shared, make_user, council):
    liaison = make_user(Role.UNIT_LIAISON, council)
    assignment = liaison.role_assignments.get()
    assert roles(liaison) == {(Role.UNIT_LIAISON, assignment.unit_id)}
    cache.delete(permissions._user_version_key(liaison.pk))  # as Redis may evict it under memory pressure
    assignment.delete()
    assert roles(liaison) == set()


def test_roles_read_inside_a_transaction_are_not_cached(
    shared, make_user, council, django_assert_num_queries
):
    from django.db import transaction

    liaison = make_user(Role.UNIT_LIAISON, council)
    with transaction.atomic():  # what it reads may be rolled back
        permissions.roles_of(fresh(liaison))
    user = fresh(liaison)
    with django_assert_num_queries(1):
        permissions.roles_of(user)
    user = fresh(liaison)
    with django_assert_num_queries(0):
        permissions.roles_of(user)


def test_an_assignment_moved_to_another_account_leaves_both_fresh(shared, make_user, council):
    liaison = make_user(Role.UNIT_LIAISON, council)
    other = make_user(Role.MEMBER, council)
    assignment = liaison.role_assignments.get()
    assert roles(liaison) == {(Role.UNIT_LIAISON, assignment.unit_id)}
    assert roles(other) == {(Role.MEMBER, None)}
    assignment.user = other
    assignment.save()
    assert roles(liaison) == set()
    assert roles(other) == {(Role.MEMBER, None), (Role.UNIT_LIAISON, assignment.unit_id)}


def test_a_new_account_and_a_migrate_start_new_versions(shared, make_user, council):
    from django.apps import apps
    from django.db.models.signals import post_migrate

    liaison = make_user(Role.UNIT_LIAISON, council)
    roles(liaison)
    generation = cache.get(permissions.ROLES_GENERATION)
    post_migrate.send(sender=apps.get_app_config("org"), app_config=apps.get_app_config("org"), verbosity=0,
                      interactive=False, using="default", plan=[], apps=apps)  # fmt: skip
    assert cache.get(permissions.ROLES_GENERATION) != generation
    # an id handed out again (a restored database) does not find the cached roles of the account it had been
    cache.set(permissions._user_version_key(liaison.pk + 1000), 5, None)
    newcomer = User.objects.create(id=liaison.pk + 1000, username="newcomer", council=council)
    assert cache.get(permissions._user_version_key(newcomer.pk)) != 5


def test_a_new_unit_keeps_everyones_cached_roles(shared, make_user, council, django_assert_num_queries):
    liaison = make_user(Role.UNIT_LIAISON, council)
    roles(liaison)
    UnitFactory(council=council)  # an import of many units does not clear every user's roles
    user = fresh(liaison)
    with django_assert_num_queries(0):
        permissions.roles_of(user)
