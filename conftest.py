import pytest

from yizheng.org.models import Role
from yizheng.org.tests.factories import CouncilFactory, RoleAssignmentFactory, UnitFactory, UserFactory


@pytest.fixture
def council(db):
    return CouncilFactory(name="示例市政协", short_name="示例市")


@pytest.fixture
def other_council(db):
    return CouncilFactory(name="另一市政协", short_name="另一市")


@pytest.fixture
def make_user(db):
    """make_user(role, council, **scope) → a user holding that role there (unit roles get a unit)."""

    def make(role: str, council, username: str | None = None, **scope):
        user = UserFactory(council=council, **({"username": username} if username else {}))
        if role in (Role.UNIT_LIAISON, Role.UNIT_REVIEWER) and "unit" not in scope:
            scope["unit"] = UnitFactory(council=council)
        if role == Role.STAFF and "office" not in scope and "committee" not in scope:
            scope["office"] = "general"
        if role != Role.STAFF:
            scope.setdefault("office", "")
        if role == Role.COLLECTIVE_AGENT and not ({"organization", "committee", "sector"} & set(scope)):
            from yizheng.org.tests.factories import OrganizationFactory

            scope["organization"] = OrganizationFactory(council=council)
        RoleAssignmentFactory(user=user, council=council, role=role, **scope)
        return user

    return make


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache (Redis keeps entries between tests and between runs)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request with the English cookie leaves English active in
    the thread (LocaleMiddleware activates, nothing deactivates), which would leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
