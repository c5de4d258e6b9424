"""The proposal-work settings page: proposal staff edit settings and categories through the services; bad input
gets a message and changes nothing; other roles 403, other councils 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yizheng.audit.models import Event
from yizheng.proposals.models import Category, ProposalSettings

URL = reverse("proposal_settings")


def _valid(**overrides) -> dict:
    data = {
        "case_number_format": "{year}-{n:03d}",
        "case_scope": "year",
        "handling_months": "3",
        "hard_case_max_months": "6",
        "adjustment_window_days": "5",
        "first_contact_days": "10",
        "co_opinion_months": "1",
        "evaluation_window_days": "15",
        "rehandle_months": "1",
        "cosign_days": "7",
        "reminder_days": "30,7、1",
        "excellent_quota": "12",
        "decline_reasons": "内容空泛的\n\n一案多事的\n",
        "rc-0-code": "A",
        "rc-0-label": "已解决或采纳",
        "rc-0-description": "已解决",
        "rc-1-code": "B",
        "rc-1-label": "正在解决",
        "rc-1-requires": "1",
        "rc-2-code": "C",
        "rc-2-label": "留作参考",
        "rc-3-code": "D",
        "rc-3-label": "其他",
    }
    data.update(overrides)
    return data


def test_page_shows_current_settings_and_categories(client, world):
    client.force_login(world.staff)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="{n:04d}"' in html
    assert 'name="rc-3-code" value=""' in html  # an empty row to add a class
    assert "经济建设" in html
    assert "涉及党和国家秘密的" in html


def test_save_settings(client, world):
    client.force_login(world.staff)
    response = client.post(f"{URL}?council={world.council.pk}", _valid())
    assert response.status_code == 302
    config = ProposalSettings.objects.get(council=world.council)
    assert config.case_number_format == "{year}-{n:03d}"
    assert config.case_scope == "year"
    assert config.reminder_days == [30, 7, 1]
    assert config.decline_reasons == ["内容空泛的", "一案多事的"]
    assert config.excellent_quota == 12
    assert [c["code"] for c in config.result_classes] == ["A", "B", "C", "D"]
    assert [c["requires_commitments"] for c in config.result_classes] == [False, True, False, False]
    event = Event.objects.filter(action="proposal_settings.update").get()
    assert "case_number_format" in event.payload["changes"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"case_number_format": "第{x}号"}, "案号格式须包含 {n}"),
        ({"handling_months": "7"}, "办理期限须至少 1 个月"),
        ({"reminder_days": "三十"}, "提醒天数须为正整数"),
        ({"reminder_days": "0"}, "提醒天数须为 1 至 365 之间的整数"),
        ({"decline_reasons": "  \n"}, "请至少填写一条不予立案理由"),
        ({"rc-1-code": "A"}, "办理结果分类须各有不重复的代码和名称"),
        ({"rc-2-label": ""}, "每个办理结果分类都须填写代码和名称"),
        ({"evaluation_window_days": "abc"}, "输入整数"),
    ],
)
def test_bad_input_changes_nothing(client, world, overrides, message):
    client.force_login(world.staff)
    before = list(ProposalSettings.objects.values())
    response = client.post(URL, _valid(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(ProposalSettings.objects.values()) == before
    assert not Event.objects.filter(action="proposal_settings.update").exists()


def test_categories_add_rename_disable(client, world):
    client.force_login(world.staff)
    create = reverse("proposal_category_create") + f"?council={world.council.pk}"
    assert client.post(create, {"name": "营商环境", "order": "9"}).status_code == 302
    category = Category.objects.get(council=world.council, name="营商环境")
    assert client.post(create, {"name": "营商环境"}).status_code == 400  # same name
    assert client.post(create, {"name": ""}).status_code == 400
    assert Category.objects.filter(council=world.council, name="营商环境").count() == 1
    url = reverse("proposal_category_update", args=[category.pk])
    assert client.post(url, {"name": "优化营商环境", "order": "2"}).status_code == 302
    category.refresh_from_db()
    assert (category.name, category.order, category.is_active) == ("优化营商环境", 2, False)
    response = client.post(url, {"name": "经济建设", "order": "2"})
    assert response.status_code == 400
    assert "已有同名分类" in response.content.decode()


def test_access(client, world):
    for user in (world.general_staff, world.leader, world.supervisor, world.member, world.lead_liaison):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, _valid()).status_code == 403
        assert client.post(reverse("proposal_category_create"), {"name": "x"}).status_code == 403
    client.force_login(world.staff)
    assert client.get(URL, {"council": world.other_council.pk}).status_code == 404
    assert client.post(f"{URL}?council={world.other_council.pk}", _valid()).status_code == 404
    other_category = Category.objects.create(council=world.other_council, name="外市分类")
    url = reverse("proposal_category_update", args=[other_category.pk])
    assert client.post(url, {"name": "改名"}).status_code == 404
    client.force_login(world.other_staff)
    assert client.get(URL).status_code == 200
    assert world.other_council.name in client.get(URL).content.decode()
