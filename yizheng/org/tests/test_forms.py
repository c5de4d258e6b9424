"""Member and unit forms: Chinese ID numbers, phones, credit codes, same-council choices, the carried
`updated_at`."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from yizheng.org.forms import (
    MemberFilterForm,
    MemberForm,
    UnitFilterForm,
    UnitForm,
    validate_credit_code,
)
from yizheng.org.models import Council, Role
from yizheng.org.tests.factories import (
    CommitteeFactory,
    CouncilFactory,
    MemberFactory,
    MembershipFactory,
    SectorFactory,
    TermFactory,
    UnitFactory,
)
from yizheng.org.validators import id_number_check_digit

pytestmark = pytest.mark.django_db


def id_number(birth: str = "19750308", seq: int = 123) -> str:
    """A valid ID number; an odd `seq` is a man's, an even one a woman's."""
    first17 = f"420300{birth}{seq:03d}"
    return first17 + id_number_check_digit(first17)


@pytest.fixture
def staff(council, make_user):
    TermFactory(council=council)
    return make_user(Role.STAFF, council)


def member_post(**overrides):
    data = {
        "name": "王建国",
        "gender": "male",
        "ethnicity": "汉族",
        "id_number": id_number(),
        "phone": "13907171234",
        "position": "member",
        "status": "active",
    }
    data.update(overrides)
    return data


# --- member form ------------------------------------------------------------------------------------------


def test_member_form_accepts_good_input_and_derives_the_birth_date(staff, council):
    form = MemberForm(member_post(id_number=id_number().lower()), actor=staff)
    assert form.is_valid(), form.errors
    assert form.council == council
    assert form.term.is_current
    assert form.cleaned_data["id_number"] == id_number()
    assert form.person_data()["birth_date"] == dt.date(1975, 3, 8)
    assert "council" not in form.fields  # one council: nothing to choose


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "42030019750308123", "身份证号码应为18位"),
        ("id_number", "420300197502301235", "出生日期无效"),
        ("id_number", id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1"), "校验位错误"),
        ("gender", "female", "性别与身份证号码不一致"),
        ("birth_date", "1975-03-09", "出生日期与身份证号码不一致"),
        ("phone", "1234567", "电话号码格式不正确"),
        ("email", "not-an-email", ""),
        ("name", "", ""),
    ],
)
def test_member_form_refuses_bad_input(staff, field, value, message):
    form = MemberForm(member_post(**{field: value}), actor=staff)
    assert not form.is_valid()
    assert field in form.errors
    assert message in " ".join(form.errors[field])


def test_member_form_accepts_a_landline(staff):
    form = MemberForm(member_post(phone="0717-6221234"), actor=staff)
    assert form.is_valid(), form.errors


def test_member_form_offers_only_the_councils_sectors_and_committees(staff, council, other_council):
    own = SectorFactory(council=council, name="经济界")
    foreign = SectorFactory(council=other_council, name="外地经济界")
    foreign_committee = CommitteeFactory(council=other_council)
    form = MemberForm(actor=staff)
    assert list(form.fields["sector"].queryset) == [own]
    bad = MemberForm(member_post(sector=foreign.pk, committees=[foreign_committee.pk]), actor=staff)
    assert not bad.is_valid()
    assert "sector" in bad.errors
    assert "committees" in bad.errors


def test_member_form_needs_a_current_term_to_register_a_member(council, make_user):
    staff = make_user(Role.STAFF, council)  # no term at all
    form = MemberForm(member_post(), actor=staff)
    assert not form.is_valid()
    assert "尚未设置本届届次" in " ".join(form.non_field_errors())


def test_member_form_with_several_councils_checks_choices_belong_to_the_chosen_one(staff, council):
    county = CouncilFactory(
        name="示例县政协", short_name="示例县", level=Council.Level.COUNTY, parent=council
    )
    TermFactory(council=county)
    city_sector = SectorFactory(council=council, name="经济界")
    form = MemberForm(member_post(council=county.pk, sector=city_sector.pk), actor=staff)
    assert "council" in form.fields
    assert not form.is_valid()
    assert "不属于该政协" in " ".join(form.errors["sector"])
    assert "(示例市)" in dict(form.fields["sector"].choices)[city_sector.pk]


def test_member_edit_form_carries_updated_at_and_requires_it(staff, council):
    member = MemberFactory(council=council, id_number=id_number())
    term = council.terms.get()
    seat = MembershipFactory(member=member, term=term)
    form = MemberForm(actor=staff, member=member, seat=seat, term=term)
    assert f'value="{member.updated_at.isoformat()}"' in str(form["updated_at"])
    data = member_post()
    bound = MemberForm(data, actor=staff, member=member, seat=seat, term=term)
    assert not bound.is_valid()
    assert "表单已失效" in " ".join(bound.errors["updated_at"])
    data["updated_at"] = member.updated_at.isoformat()
    bound = MemberForm(data, actor=staff, member=member, seat=seat, term=term)
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["updated_at"] == member.updated_at


def test_member_edit_form_without_a_current_term_edits_person_data_only(council, make_user):
    staff = make_user(Role.STAFF, council)
    member = MemberFactory(council=council)
    form = MemberForm(actor=staff, member=member, seat=None, term=None)
    assert not form.has_seat
    assert "sector" not in form.fields


# --- member filter form -----------------------------------------------------------------------------------


def test_member_filter_form_offers_terms_and_council_only_when_several(staff, council):
    form = MemberFilterForm(actor=staff)
    assert "council" not in form.fields
    values = [v for v, _label in form.fields["term"].choices]
    assert values[:2] == ["", "all"]
    county = CouncilFactory(
        name="示例县政协", short_name="示例县", level=Council.Level.COUNTY, parent=council
    )
    TermFactory(council=county)
    form = MemberFilterForm(actor=staff)
    assert "council" in form.fields
    labels = [label for _v, label in form.fields["term"].choices]
    assert any(label.startswith("示例县") for label in labels)


def test_member_filter_form_ignores_a_bad_value_but_keeps_the_good_ones(staff, other_council):
    foreign = SectorFactory(council=other_council)
    form = MemberFilterForm({"q": "张", "sector": foreign.pk, "standing": "1", "term": "all"}, actor=staff)
    assert form.filters() == {"q": "张", "standing": True, "all_terms": True}
    assert "sector" in form.errors


def test_member_filter_form_search_hint_mentions_id_numbers_only_to_editors(council, make_user, staff):
    leader = make_user(Role.LEADER, council)
    assert "身份证" in MemberFilterForm(actor=staff).fields["q"].widget.attrs["placeholder"]
    assert "身份证" not in MemberFilterForm(actor=leader).fields["q"].widget.attrs["placeholder"]


# --- unit forms -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["9144030071526726XG", "91330100716105852F", "91350100M000100Y43"])
def test_credit_code_accepts_real_codes(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("9144030071526726XA", "校验位错误"),
        ("9144030071526726I", "应为18位"),
        ("91440300715267260O", "应为18位"),
    ],
)
def test_credit_code_refuses_bad_codes(code, message):
    with pytest.raises(ValidationError, match=message):
        validate_credit_code(code)


def unit_post(**overrides):
    data = {"name": "示例市教育局", "kind": "government_department", "contact_phone": "0717-6221234",
            "order": "0", "is_active": "on"}  # fmt: skip
    data.update(overrides)
    return data


def test_unit_form_good_input(staff, council):
    form = UnitForm(unit_post(code="9144030071526726xg"), actor=staff)
    assert form.is_valid(), form.errors
    assert form.council == council
    assert form.unit_data()["code"] == "9144030071526726XG"
    assert form.unit_data()["is_active"] is True


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contact_phone", "12345"),
        ("contact_email", "x@"),
        ("code", "123"),
        ("kind", "ministry"),
        ("order", "-1"),
    ],
)
def test_unit_form_refuses_bad_input(staff, field, value):
    form = UnitForm(unit_post(**{field: value}), actor=staff)
    assert not form.is_valid()
    assert field in form.errors


def test_unit_form_parent_choices_exclude_itself_and_other_councils(staff, council, other_council):
    unit = UnitFactory(council=council)
    sibling = UnitFactory(council=council)
    UnitFactory(council=other_council)
    form = UnitForm(actor=staff, unit=unit)
    assert list(form.fields["parent"].queryset) == [sibling]


def test_unit_filter_form(staff):
    form = UnitFilterForm({"q": " 教育 ", "kind": "court", "active": "0"}, actor=staff)
    assert form.filters() == {"q": "教育", "kind": "court", "active": False}
    assert UnitFilterForm(actor=staff).filters() == {}
