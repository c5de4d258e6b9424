"""承办单位 screens: list, search and filters, detail, create and edit — council staff manage them, leaders read,
unit liaisons see only their own unit, other councils get 404."""

import pytest
from django.test import Client
from django.urls import reverse

from yizheng.audit.models import Event
from yizheng.org.models import Role, Unit
from yizheng.org.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

LIST = reverse("unit_list")
CREATE = reverse("unit_create")


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail(unit):
    return reverse("unit_detail", args=[unit.pk])


def edit(unit):
    return reverse("unit_edit", args=[unit.pk])


@pytest.fixture
def world(council, other_council):
    government = UnitFactory(council=council, name="示例市人民政府", short_name="市政府",
                             kind="government_department", contact_name="周秘书", contact_phone="0717-6220000")  # fmt: skip
    education = UnitFactory(council=council, name="示例市教育局", short_name="市教育局", parent=government,
                            contact_name="王联络", contact_phone="13800000001")  # fmt: skip
    court = UnitFactory(council=council, name="示例市中级人民法院", kind="court", contact_name="陈法官")
    grain = UnitFactory(council=council, name="示例市粮食局", is_active=False)
    stranger = UnitFactory(council=other_council, name="另一市教育局")
    return {"government": government, "education": education, "court": court, "grain": grain,
            "stranger": stranger}  # fmt: skip


@pytest.fixture
def staff(council, make_user):
    return make_user(Role.STAFF, council)


def listed(client, **params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {u.name for u in response.context["page"].object_list}


def edit_post(unit, **overrides):
    data = {
        "name": unit.name, "short_name": unit.short_name, "kind": unit.kind, "parent": unit.parent_id or "",
        "code": unit.code, "contact_name": unit.contact_name, "contact_phone": unit.contact_phone,
        "contact_email": unit.contact_email, "address": unit.address, "order": unit.order,
        "updated_at": unit.updated_at.isoformat(),
    }  # fmt: skip
    if unit.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- list -------------------------------------------------------------------------------------------------


def test_list_for_staff(world, staff):
    response = as_user(staff).get(LIST)
    assert response.status_code == 200
    text = response.content.decode()
    assert {"示例市人民政府", "示例市教育局", "示例市中级人民法院", "示例市粮食局"} == listed(as_user(staff))
    assert "另一市教育局" not in text
    assert "已停用" in text
    assert 'data-testid="unit-create"' in text


def test_list_for_leader_reads_without_create(world, council, make_user):
    response = as_user(make_user(Role.LEADER, council)).get(LIST)
    assert response.status_code == 200
    assert 'data-testid="unit-create"' not in response.content.decode()


def test_unit_liaison_lists_only_their_own_unit(world, council, make_user):
    liaison = make_user(Role.UNIT_LIAISON, council, unit=world["education"])
    client = as_user(liaison)
    assert listed(client) == {"示例市教育局"}
    assert listed(client, q="法院") == set()
    assert 'data-testid="unit-create"' not in client.get(LIST).content.decode()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.COLLECTIVE_AGENT, Role.SYSTEM_ADMIN])
def test_list_refused_to_roles_without_unit_view(world, council, make_user, role):
    assert as_user(make_user(role, council)).get(LIST).status_code == 403


def test_list_search_and_filters(world, staff):
    client = as_user(staff)
    assert listed(client, q="教育") == {"示例市教育局"}
    assert listed(client, q="市政府") == {"示例市人民政府"}
    assert listed(client, q="陈法官") == {"示例市中级人民法院"}
    assert listed(client, q="13800000001") == {"示例市教育局"}
    assert listed(client, kind="court") == {"示例市中级人民法院"}
    assert listed(client, active="0") == {"示例市粮食局"}
    assert listed(client, active="1") == {"示例市人民政府", "示例市教育局", "示例市中级人民法院"}
    assert listed(client, kind="court", active="0") == set()


def test_htmx_request_gets_the_results_fragment(world, staff):
    response = as_user(staff).get(LIST, {"kind": "court"}, headers={"HX-Request": "true"})
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="results"')
    assert "示例市中级人民法院" in text
    assert "示例市教育局" not in text


def test_list_query_count_does_not_grow_with_rows(world, council, staff, django_assert_max_num_queries):
    client = as_user(staff)
    client.get(LIST)
    with django_assert_max_num_queries(20) as few:
        assert client.get(LIST).status_code == 200
    n = len(few.captured_queries)  # now: the next request empties the log it is read from
    for _ in range(56):
        UnitFactory(council=council, parent=world["government"])
    client.get(LIST)  # new units renew the cached roles (with Redis): they are read once more
    with django_assert_max_num_queries(n):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 50


# --- detail -----------------------------------------------------------------------------------------------


def test_detail_shows_contacts_parent_children_and_history(world, staff):
    client = as_user(staff)
    response = client.get(detail(world["government"]))
    assert response.status_code == 200
    text = response.content.decode()
    for expected in (
        "周秘书",
        "0717-6220000",
        "示例市教育局",
        'data-testid="history"',
        'data-testid="unit-edit"',
    ):
        assert expected in text
    child = client.get(detail(world["education"])).content.decode()
    assert f'href="{detail(world["government"])}"' in child


def test_unit_liaison_sees_their_own_unit_only(world, council, make_user):
    client = as_user(make_user(Role.UNIT_LIAISON, council, unit=world["education"]))
    response = client.get(detail(world["education"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "示例市人民政府" in text  # the parent's name, but no link to it
    assert f'href="{detail(world["government"])}"' not in text
    assert 'data-testid="unit-edit"' not in text
    assert 'data-testid="history"' not in text
    for other in ("government", "court", "stranger"):
        assert client.get(detail(world[other])).status_code == 404


def test_detail_of_another_councils_unit_is_404(world, staff):
    assert as_user(staff).get(detail(world["stranger"])).status_code == 404


def test_detail_refused_to_member_role(world, council, make_user):
    assert as_user(make_user(Role.MEMBER, council)).get(detail(world["education"])).status_code == 403


# --- create -----------------------------------------------------------------------------------------------


def create_post(**overrides):
    data = {"name": "示例市卫生健康委员会", "short_name": "市卫健委", "kind": "government_department",
            "contact_name": "刘联络", "contact_phone": "0717-6223456", "contact_email": "wjw@example.org",
            "code": "9144030071526726XG", "order": "5", "is_active": "on"}  # fmt: skip
    data.update(overrides)
    return data


def test_staff_creates_a_unit(world, staff):
    response = as_user(staff).post(CREATE, create_post(parent=world["government"].pk))
    unit = Unit.objects.get(name="示例市卫生健康委员会")
    assert response.status_code == 302
    assert response["Location"] == detail(unit)
    assert unit.parent == world["government"]
    assert unit.is_active
    assert Event.objects.filter(action="unit.create", target_id=str(unit.pk), actor=staff).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "示例市教育局", "本政协已有同名的承办单位"),
        ("contact_phone", "622345", "电话号码格式不正确"),
        ("code", "9144030071526726XA", "校验位错误"),
        ("name", "", "这个字段是必填项"),
    ],
)
def test_create_with_bad_input_shows_the_error_and_writes_nothing(world, staff, field, value, message):
    before = Unit.objects.count()
    response = as_user(staff).post(CREATE, create_post(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Unit.objects.count() == before
    assert not Event.objects.filter(action="unit.create").exists()


def test_create_refuses_a_parent_of_another_council(world, staff):
    response = as_user(staff).post(CREATE, create_post(parent=world["stranger"].pk))
    assert response.status_code == 400
    assert not Unit.objects.filter(name="示例市卫生健康委员会").exists()


def test_the_same_name_may_exist_in_another_council(world, staff):
    response = as_user(staff).post(CREATE, create_post(name="另一市教育局"))
    assert response.status_code == 302


@pytest.mark.parametrize("role", [Role.LEADER, Role.UNIT_LIAISON, Role.MEMBER])
def test_create_refused_to_roles_without_unit_edit(world, council, make_user, role):
    client = as_user(make_user(role, council))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, create_post()).status_code == 403
    assert not Unit.objects.filter(name="示例市卫生健康委员会").exists()


# --- edit -------------------------------------------------------------------------------------------------


def test_staff_edits_a_unit_and_the_history_shows_it(world, staff):
    unit = world["education"]
    client = as_user(staff)
    response = client.post(edit(unit), edit_post(unit, contact_name="赵联络", parent=""))
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.contact_name == "赵联络"
    assert unit.parent is None
    page = client.get(detail(unit)).content.decode()
    history = page[page.index('data-testid="history"') :]
    assert "<del>王联络</del> → <ins>赵联络</ins>" in history
    assert "<del>示例市人民政府</del> → <ins>—</ins>" in history


def test_disabling_a_unit_keeps_it(world, staff):
    unit = world["court"]
    post = edit_post(unit)
    del post["is_active"]
    response = as_user(staff).post(edit(unit), post)
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.is_active is False
    assert listed(as_user(staff), active="0") == {"示例市粮食局", "示例市中级人民法院"}


def test_edit_with_a_stale_updated_at_is_refused_and_changes_nothing(world, staff):
    unit = world["education"]
    stale = edit_post(unit, contact_name="我的修改")
    assert as_user(staff).post(edit(unit), edit_post(unit, address="新地址")).status_code == 302
    events = Event.objects.filter(action="unit.update").count()
    response = as_user(staff).post(edit(unit), stale)
    assert response.status_code == 409
    assert "该记录已被他人修改,请刷新后重试" in response.content.decode()
    unit.refresh_from_db()
    assert unit.contact_name == "王联络"
    assert Event.objects.filter(action="unit.update").count() == events


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "示例市中级人民法院", "本政协已有同名的承办单位"),
        ("contact_email", "x@", "有效的 Email 地址"),
        ("updated_at", "", "表单已失效"),
    ],
)
def test_edit_with_bad_input_changes_nothing(world, staff, field, value, message):
    unit = world["education"]
    response = as_user(staff).post(edit(unit), edit_post(unit, contact_name="改了", **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    unit.refresh_from_db()
    assert unit.contact_name == "王联络"


def test_a_unit_cannot_become_its_own_descendants_child(world, staff):
    government = world["government"]
    response = as_user(staff).post(edit(government), edit_post(government, parent=world["education"].pk))
    assert response.status_code == 400
    assert "上级单位不能是本单位或其下级单位" in response.content.decode()
    government.refresh_from_db()
    assert government.parent is None


def test_edit_refused_to_leader_and_unit_liaison(world, council, make_user):
    unit = world["education"]
    for user in (make_user(Role.LEADER, council), make_user(Role.UNIT_LIAISON, council, unit=unit)):
        client = as_user(user)
        assert client.get(edit(unit)).status_code == 403
        assert client.post(edit(unit), edit_post(unit, name="改名")).status_code == 403
    unit.refresh_from_db()
    assert unit.name == "示例市教育局"


def test_edit_of_another_councils_unit_is_404(world, other_council, make_user):
    unit = world["education"]
    client = as_user(make_user(Role.STAFF, other_council))
    assert client.get(edit(unit)).status_code == 404
    assert client.post(edit(unit), edit_post(unit, name="改名")).status_code == 404
    unit.refresh_from_db()
    assert unit.name == "示例市教育局"
