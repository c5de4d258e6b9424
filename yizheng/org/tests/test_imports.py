"""Excel import of members and units: template, checks, dry run, all-or-nothing write, pages and command."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse

from yizheng.audit import services as audit_services
from yizheng.audit.models import Event
from yizheng.audit.services import audit_verify, event_record
from yizheng.core.errors import ApplicationError, ConflictError
from yizheng.org import imports
from yizheng.org.models import ImportJob, Member, Membership, Role, Unit
from yizheng.org.tests.factories import (
    CommitteeFactory,
    CouncilFactory,
    MemberFactory,
    MemberGroupFactory,
    MembershipFactory,
    SectorFactory,
    TermFactory,
    UnitFactory,
)
from yizheng.org.tests.xlsx import (
    MEMBER_HEADERS,
    UNIT_HEADERS,
    id_number,
    member_row,
    unit_row,
    upload,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(council):
    term = TermFactory(council=council)
    SectorFactory(council=council, name="界别A")
    SectorFactory(council=council, name="界别B")
    CommitteeFactory(council=council, name="经济委员会")
    CommitteeFactory(council=council, name="提案委员会")
    MemberGroupFactory(term=term, name="第一组")
    return term


@pytest.fixture
def staff(make_user, council):
    return make_user(Role.STAFF, council)


def run(council, content: bytes, *, kind="members", dry_run=False, actor=None, **kwargs):
    return imports.import_run(
        actor=actor, council=council, kind=kind, source=io.BytesIO(content), dry_run=dry_run, **kwargs
    )


def found(result) -> list[tuple]:
    return [(p["row"], p["column"], imports.problem_text(p)) for p in result.problems]


# --- members: checks --------------------------------------------------------------------------------------


def test_clean_file_imports_every_row_with_seat_committees_groups_and_events(
    council, term, staff, monkeypatch, django_capture_on_commit_callbacks
):
    rows = [
        member_row(1, 专委会="经济委员会、提案委员会", 是否常委="是", 职务类别="副主席"),
        member_row(2, 性别="女", 身份证号码=id_number(2, male=False), 出生日期=None, 委员组=None),
        member_row(3, 民族="回", 专委会="提案委员会,经济委员会"),
    ]
    event_record(actor=None, action="test.before", target=council)  # the import continues an existing chain
    before = Event.objects.count()
    dispatched = []
    monkeypatch.setattr(audit_services, "_subscribers", [("member.", dispatched.append)])
    with django_capture_on_commit_callbacks(execute=True):
        result = run(council, xlsx_bytes(MEMBER_HEADERS, rows), actor=staff)
    assert result.problems == []
    assert (result.total_rows, result.created, result.updated, result.written) == (3, 3, 0, True)
    assert [e.action for e in dispatched] == ["member.create"] * 3  # subscribers hear of them after commit
    assert audit_verify().ok
    first = Member.objects.get(council=council, name="委员1")
    seat = first.memberships.get(term=term)
    assert seat.sector.name == "界别A"
    assert seat.is_standing is True
    assert seat.position == Membership.Position.VICE_CHAIR
    assert seat.card_number == "C00001"
    assert sorted(seat.committees.values_list("name", flat=True)) == ["提案委员会", "经济委员会"]
    assert list(seat.groups.values_list("name", flat=True)) == ["第一组"]
    assert first.birth_date == dt.date(1975, 3, 8)
    second = Member.objects.get(name="委员2")
    assert second.gender == Member.Gender.FEMALE
    assert second.birth_date == dt.date(1975, 3, 8)  # taken from the identity number
    assert not second.memberships.get().groups.exists()
    assert Member.objects.get(name="委员3").ethnicity == "回族"
    events = list(Event.objects.order_by("seq"))[before:]
    assert [e.action for e in events] == ["member.create"] * 3 + ["import.run"]
    assert events[0].actor == staff
    assert events[0].payload["after"]["committees"] == ["提案委员会", "经济委员会"]
    assert events[-1].payload == {"kind": "members", "file": "", "rows": 3, "created": 3, "updated": 0}


def test_dry_run_counts_and_writes_nothing(council, term):
    result = run(council, xlsx_bytes(MEMBER_HEADERS, [member_row(1), member_row(2)]), dry_run=True)
    assert result.problems == []
    assert (result.created, result.updated, result.written) == (2, 0, False)
    assert not Member.objects.exists()
    assert not Event.objects.exists()


def test_every_problem_is_reported_with_excel_row_and_column_and_nothing_is_written(council, term):
    existing = MemberFactory(council=council)
    rows = [
        member_row(1, **{"姓名*": None}),  # row 2
        member_row(2, **{"身份证号码*": id_number(2)[:-1] + ("0" if id_number(2)[-1] != "0" else "1")}),
        member_row(3, **{"身份证号码*": id_number(3)}),  # rows 4 and 5 share an identity number
        member_row(4, **{"身份证号码*": id_number(3)}),
        member_row(5, **{"界别*": "不存在界"}),
        member_row(6, 专委会="经济委员会、火星委员会"),
        member_row(7, 委员组="第九组"),
        member_row(8, **{"手机号码*": "1234"}),
        member_row(9, 电子邮箱="not-an-email"),
        member_row(10, 出生日期="1975-13-40"),
        member_row(11, 是否常委="也许"),
        member_row(12, 出生日期="1976-01-01"),
        member_row(13, **{"性别*": "未知"}),
        member_row(14, 职务类别="会长"),
        member_row(15, **{"身份证号码*": 4.20102197503081e17}),  # what Excel keeps of a number
        [None] * len(MEMBER_HEADERS),  # row 17: blank rows are skipped, numbering stays Excel's
        member_row(16, **{"手机号码*": None, "性别*": "女"}),  # row 18: also contradicts the number
        member_row(17, 民族="火星族"),
    ]
    before = (Member.objects.count(), Membership.objects.count(), Event.objects.count())
    result = run(council, xlsx_bytes(MEMBER_HEADERS, rows), dry_run=False)
    assert found(result) == [
        (2, "姓名", "必填项未填写"),
        (3, "身份证号码", "身份证号码校验位错误"),
        (4, "身份证号码", "身份证号码与第5行重复"),
        (5, "身份证号码", "身份证号码与第4行重复"),
        (6, "界别", "本政协没有名为“不存在界”的界别"),
        (7, "专委会", "本政协没有名为“火星委员会”的专委会"),
        (8, "委员组", "本届没有名为“第九组”的委员组"),
        (9, "手机号码", "手机号码应为以1开头的11位数字"),
        (10, "电子邮箱", "电子邮箱格式不正确"),
        (11, "出生日期", "日期格式不正确,请按“1975-03-08”的格式填写"),
        (12, "是否常委", "请填“是”或“否”"),
        (13, "出生日期", "出生日期与身份证号码不一致(身份证号码中为1975-03-08)"),
        (14, "性别", "性别应填“男”或“女”"),
        (15, "职务类别", "职务类别应为主席、副主席、秘书长、委员之一"),
        (16, "身份证号码", "身份证号码被Excel存成了数字,末几位可能已丢失;请把该列设为文本格式后重新填写"),
        (18, "性别", "性别与身份证号码不一致"),
        (18, "手机号码", "必填项未填写"),
        (19, "民族", "“火星族”不是56个民族的名称之一,请填写如“汉族”“回族”"),
    ]
    assert result.total_rows == 17  # the blank row is not counted
    assert not result.written
    assert (Member.objects.count(), Membership.objects.count(), Event.objects.count()) == before
    assert Member.objects.get() == existing


def test_existing_member_is_updated_blank_cells_keep_values(council, term, staff):
    sector_b = council.sectors.get(name="界别B")
    member = MemberFactory(council=council, id_number=id_number(1), work_unit="原单位", phone="13900000000")
    seat = MembershipFactory(member=member, term=term, sector=sector_b, card_number="OLD")
    seat.committees.set([council.committees.get(name="提案委员会")])
    rows = [
        member_row(1, **{"手机号码*": "13811112222"}, 工作单位=None, 专委会=None, 委员证号=None),
        member_row(2),
    ]
    content = xlsx_bytes(MEMBER_HEADERS, rows)
    check = run(council, content, dry_run=True)
    assert (check.created, check.updated) == (1, 1)

    before = Event.objects.count()
    result = run(council, content, actor=staff)
    assert (result.created, result.updated) == (1, 1)
    member.refresh_from_db()
    seat.refresh_from_db()
    assert member.phone == "13811112222"
    assert member.work_unit == "原单位"  # blank cell: unchanged
    assert seat.sector.name == "界别A"
    assert seat.card_number == "OLD"
    assert list(seat.committees.values_list("name", flat=True)) == ["提案委员会"]
    assert Member.objects.filter(council=council).count() == 2
    update = Event.objects.filter(seq__gt=before, action="member.update").get()
    assert update.payload["changes"]["phone"] == ["13900000000", "13811112222"]
    assert "sector" in update.payload["changes"]
    assert "work_unit" not in update.payload["changes"]


def test_update_replaces_committees_and_groups_when_their_cells_are_filled(council, term):
    member = MemberFactory(council=council, id_number=id_number(1))
    seat = MembershipFactory(member=member, term=term, sector=council.sectors.get(name="界别A"))
    seat.committees.set([council.committees.get(name="提案委员会")])
    untouched = MembershipFactory(member=MemberFactory(council=council, id_number=id_number(2)), term=term)
    untouched.committees.set([council.committees.get(name="提案委员会")])
    rows = [
        member_row(1, 专委会="经济委员会", 委员组="第一组", 是否常委="是"),
        member_row(2, 专委会="提案委员会"),
    ]
    result = run(council, xlsx_bytes(MEMBER_HEADERS, rows))
    assert (result.created, result.updated) == (0, 2)
    seat.refresh_from_db()
    assert list(seat.committees.values_list("name", flat=True)) == ["经济委员会"]
    assert list(seat.groups.values_list("name", flat=True)) == ["第一组"]
    assert seat.is_standing is True
    assert list(untouched.committees.values_list("name", flat=True)) == ["提案委员会"]
    change = Event.objects.get(action="member.update", target_id=str(member.pk)).payload["changes"]
    assert change["committees"] == [["提案委员会"], ["经济委员会"]]
    assert change["groups"] == [[], ["第一组"]]


def test_a_change_of_seat_alone_moves_the_members_updated_at(council, term):
    run(council, xlsx_bytes(MEMBER_HEADERS, [member_row(1)]))
    member = Member.objects.get()
    stamp = member.updated_at
    before = Event.objects.count()
    run(council, xlsx_bytes(MEMBER_HEADERS, [member_row(1)]))  # the same file again: nothing changes
    member.refresh_from_db()
    assert (member.updated_at, Event.objects.count()) == (stamp, before + 1)  # only import.run
    run(council, xlsx_bytes(MEMBER_HEADERS, [member_row(1, 专委会="提案委员会")]))
    member.refresh_from_db()
    assert member.updated_at > stamp
    assert list(Event.objects.filter(action="member.update").values_list("payload__changes", flat=True)) == [
        {"committees": [["经济委员会"], ["提案委员会"]]}
    ]


def test_member_of_another_council_with_the_same_number_is_not_touched(council, other_council, term):
    theirs = MemberFactory(council=other_council, id_number=id_number(1), name="别处委员")
    result = run(council, xlsx_bytes(MEMBER_HEADERS, [member_row(1)]))
    assert (result.created, result.updated) == (1, 0)
    theirs.refresh_from_db()
    assert theirs.name == "别处委员"


def test_existing_member_without_a_seat_in_this_term_gets_one(council, term):
    member = MemberFactory(council=council, id_number=id_number(1))
    result = run(council, xlsx_bytes(MEMBER_HEADERS, [member_row(1)]))
    assert (result.created, result.updated) == (0, 1)
    assert member.memberships.get(term=term).sector.name == "界别A"


def test_missing_required_column_stops_before_rows(council, term):
    headers = [h for h in MEMBER_HEADERS if h != "身份证号码*"]
    rows = [[v for h, v in zip(MEMBER_HEADERS, member_row(1), strict=True) if h != "身份证号码*"]]
    result = run(council, xlsx_bytes(headers, rows))
    assert found(result) == [(1, "身份证号码", "缺少必填列;请使用导入模板")]


def test_a_sheet_without_template_headers_is_refused(council, term):
    result = run(council, xlsx_bytes(["甲", "乙"], [["1", "2"]]))
    assert found(result) == [(1, "", "第1行不是导入模板的列名;请下载导入模板,在模板中填写后上传")]


def test_headers_with_hints_and_full_width_marks_are_recognised(council, term):
    headers = [
        h.replace("性别*", "性别*(男/女)").replace("是否常委", "是否常委\uff08是/否\uff09")
        for h in MEMBER_HEADERS
    ]
    headers = [h.replace("*", "\uff0a") if h.startswith("姓名") else h for h in headers]
    result = run(council, xlsx_bytes(headers, [member_row(1)]))
    assert result.problems == []
    assert result.created == 1


def test_members_need_a_current_term(council):
    SectorFactory(council=council, name="界别A")
    result = run(council, xlsx_bytes(MEMBER_HEADERS, [member_row(1)]))
    assert found(result) == [(None, "", "本政协尚未设置本届,不能导入委员;请先设置本届")]


def test_a_failure_while_writing_the_last_row_leaves_nothing_written(council, term, monkeypatch):
    """Between the check and the write, someone else registers the last row's member: nothing is written."""
    original = imports.MemberImport.write

    def concurrent_insert_then_write(self, plan, **kwargs):
        MemberFactory(council=council, id_number=id_number(3), name="别人刚登记的")
        return original(self, plan, **kwargs)

    monkeypatch.setattr(imports.MemberImport, "write", concurrent_insert_then_write)
    result = run(council, xlsx_bytes(MEMBER_HEADERS, [member_row(1), member_row(2), member_row(3)]))
    assert not result.written
    assert len(result.problems) == 1
    assert imports.problem_text(result.problems[0]).startswith("写入数据库时出错,所有行均未写入")
    assert (result.created, result.updated) == (0, 0)
    assert not Member.objects.exists()  # the other insert ran inside the import's transaction here
    assert not Membership.objects.exists()
    assert not Event.objects.exists()


def test_import_needs_the_permission_in_that_council(council, other_council, term, make_user):
    content = xlsx_bytes(MEMBER_HEADERS, [member_row(1)])
    with pytest.raises(PermissionDenied):
        run(council, content, actor=make_user(Role.LEADER, council))
    with pytest.raises(PermissionDenied):
        run(council, content, actor=make_user(Role.STAFF, other_council))
    assert not Member.objects.exists()


def test_dates_and_numbers_in_cells_are_read_as_people_type_them(council, term):
    rows = [
        member_row(1, 出生日期=dt.datetime(1975, 3, 8), **{"手机号码*": 13900000001}),
        member_row(2, 出生日期="1975年3月8日", **{"身份证号码*": f" {id_number(2)} "}),
        member_row(3, 出生日期="19750308", 委员证号=12345),
    ]
    result = run(council, xlsx_bytes(MEMBER_HEADERS, rows))
    assert result.problems == []
    assert Member.objects.get(name="委员1").phone == "13900000001"
    assert Membership.objects.get(member__name="委员3").card_number == "12345"


# --- units ------------------------------------------------------------------------------------------------


def test_units_import_with_parents_in_the_file_and_in_the_council(council, staff):
    existing = UnitFactory(council=council, name="市人民政府", kind=Unit.Kind.COUNTY_GOVERNMENT)
    rows = [
        unit_row("市教育局直属学校", 上级单位="市教育局", 单位类型="其他"),  # child before its parent
        unit_row("市教育局", 上级单位="市人民政府", 简称="教育局", 统一社会信用代码="9144030071526726XG"),
        unit_row("市人民政府", 联系人="新联系人", 单位类型="县\uff08市、区\uff09政府"),
    ]
    result = run(council, xlsx_bytes(UNIT_HEADERS, rows, title="承办单位"), kind="units", actor=staff)
    assert result.problems == []
    assert (result.created, result.updated) == (2, 1)
    school = Unit.objects.get(name="市教育局直属学校")
    assert school.parent.name == "市教育局"
    assert school.kind == Unit.Kind.OTHER
    bureau = school.parent
    assert bureau.parent == existing
    assert bureau.code == "9144030071526726XG"
    existing.refresh_from_db()
    assert existing.contact_name == "新联系人"
    actions = list(Event.objects.order_by("seq").values_list("action", flat=True))
    assert sorted(actions[:-1]) == ["unit.create", "unit.create", "unit.update"]
    assert actions[-1] == "import.run"


def test_unit_problems_are_each_reported_and_nothing_is_written(council):
    UnitFactory(council=council, name="甲局")
    UnitFactory(council=council, name="乙局", parent=UnitFactory(council=council, name="丙局"))
    rows = [
        unit_row("重复局"),  # 2
        unit_row("重复局"),  # 3
        unit_row("孤儿局", 上级单位="不存在局"),  # 4
        unit_row("自己局", 上级单位="自己局"),  # 5
        unit_row("子局", 上级单位="母局"),  # 6 ┐ a loop inside the file
        unit_row("母局", 上级单位="子局"),  # 7 ┘
        unit_row("丙局", 上级单位="乙局"),  # 8: 丙局 is already 乙局's parent
        unit_row("类型局", **{"单位类型*": "协会"}),  # 9
        unit_row("代码局", 统一社会信用代码="9144030071526726XA"),  # 10
        unit_row("电话局", 联系电话="12345"),  # 11
        unit_row("邮箱局", 电子邮箱="x@"),  # 12
        unit_row(None),  # 13
    ]
    before = (Unit.objects.count(), Event.objects.count())
    result = run(council, xlsx_bytes(UNIT_HEADERS, rows, title="承办单位"), kind="units")
    kinds = "政府部门、党委部门、法院、检察院、县(市、区)政府、企业、其他"
    assert found(result) == [
        (2, "单位名称", "单位名称与第3行重复"),
        (3, "单位名称", "单位名称与第2行重复"),
        (4, "上级单位", "找不到上级单位“不存在局”:它既不在本文件中,也不是本政协已有的单位"),
        (5, "上级单位", "上级单位不能是本单位"),
        (6, "上级单位", "上级单位关系形成了循环:子局 → 母局 → 子局"),
        (7, "上级单位", "上级单位关系形成了循环:母局 → 子局 → 母局"),
        (8, "上级单位", "上级单位关系形成了循环:丙局 → 乙局 → 丙局"),
        (9, "单位类型", f"单位类型应为{kinds}之一"),
        (10, "统一社会信用代码", "统一社会信用代码校验位错误"),
        (11, "联系电话", "联系电话应为手机号码或带区号的固定电话"),
        (12, "电子邮箱", "电子邮箱格式不正确"),
        (13, "单位名称", "必填项未填写"),
    ]
    assert (Unit.objects.count(), Event.objects.count()) == before


def test_credit_code_checksum():
    assert imports.credit_code_problem("9144030071526726XG") is None
    assert imports.credit_code_problem("91110000802100433B") is None
    assert imports.credit_code_problem("91110000802100433C") == "统一社会信用代码校验位错误"
    assert imports.credit_code_problem("9111000080210043IB") is not None


# --- the template -----------------------------------------------------------------------------------------


def test_member_template_explains_columns_and_allowed_values(council, term):
    content = imports.template_build(council=council, kind="members")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["委员", "说明", "选项"]
    sheet = workbook["委员"]
    assert [c.value for c in sheet[1]] == list(MEMBER_HEADERS)
    notes = "\n".join(str(c.value) for row in workbook["说明"].iter_rows() for c in row if c.value)
    for text in (
        "界别A、界别B",
        "经济委员会、提案委员会",
        "第一组",
        "主席、副主席、秘书长、委员",
        "男、女",
        "是、否",
        "在任",
        "第六届",
        "必填",
    ):
        assert text in notes
    assert "可参考:经济委员会" not in notes  # unknown committee names are refused, so no "for reference"
    assert "可参考:中共党员" in notes  # political affiliation is free text with suggestions
    assert workbook["选项"].sheet_state == "hidden"
    validated = {str(v.sqref).split(":")[0][0] for v in sheet.data_validations.dataValidation}
    # 性别 B, 民族 C, 政治面貌 F, 学历 G, 界别 M, 专委会 N, 委员组 O, 是否常委 P, 职务类别 Q
    assert validated == set("BCFGMNOPQ")
    assert sheet.column_dimensions["E"].number_format == "@"  # identity numbers stay text


def test_unit_template_lists_kinds_and_existing_units(council):
    UnitFactory(council=council, name="市财政局")
    workbook = openpyxl.load_workbook(io.BytesIO(imports.template_build(council=council, kind="units")))
    assert [c.value for c in workbook["承办单位"][1]] == list(UNIT_HEADERS)
    notes = "\n".join(str(c.value) for row in workbook["说明"].iter_rows() for c in row if c.value)
    assert "政府部门、党委部门、法院、检察院、县(市、区)政府、企业、其他" in notes
    assert "市财政局" in notes


def test_downloaded_template_round_trips(client, council, term, staff):
    client.force_login(staff)
    response = client.get(reverse("import_template", args=["members"]))
    assert response.status_code == 200
    assert response["Content-Type"] == imports.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["委员"]
    for n in (1, 2):
        sheet.append(member_row(n))
    out = io.BytesIO()
    workbook.save(out)
    result = run(council, out.getvalue(), actor=staff)
    assert result.problems == []
    assert result.created == 2


# --- uploads ----------------------------------------------------------------------------------------------


def test_upload_refuses_other_files_and_writes_nothing(council, term, staff, settings):
    bad = [
        upload(b"just some text, renamed", "委员.xlsx"),
        upload(xlsx_bytes(MEMBER_HEADERS, [member_row(1)]), "委员.xls"),
        upload(b"PK\x03\x04 but not a zip at all", "委员.xlsx"),
    ]
    for file in bad:
        with pytest.raises(ApplicationError):
            imports.import_job_create(actor=staff, council=council, kind="members", upload=file)
    settings.YIZHENG_IMPORT_MAX_BYTES = 1000
    with pytest.raises(ApplicationError, match="文件太大"):
        imports.import_job_create(
            actor=staff,
            council=council,
            kind="members",
            upload=upload(xlsx_bytes(MEMBER_HEADERS, [member_row(1)])),
        )
    assert not ImportJob.objects.exists()
    assert not Event.objects.exists()


# --- jobs -------------------------------------------------------------------------------------------------


def test_job_dry_run_then_confirm_imports(council, term, staff, django_capture_on_commit_callbacks):
    content = xlsx_bytes(MEMBER_HEADERS, [member_row(1), member_row(2)])
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_job_create(actor=staff, council=council, kind="members", upload=upload(content))
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.total_rows, job.processed_rows) == ("checked", True, 2, 2)
    assert (job.created_count, job.updated_count, job.errors) == (2, 0, [])
    assert not Member.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_job_confirm(actor=staff, job=job)
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created_count) == ("done", False, 2)
    assert Member.objects.count() == 2
    actions = list(Event.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["import.upload", "import.confirm", "member.create", "member.create", "import.run"]
    run_event = Event.objects.get(action="import.run")
    assert run_event.target_id == str(job.pk)
    with pytest.raises(ConflictError):
        imports.import_job_confirm(actor=staff, job=job)


def test_failed_check_cannot_be_confirmed(council, term, staff, django_capture_on_commit_callbacks):
    content = xlsx_bytes(MEMBER_HEADERS, [member_row(1, **{"手机号码*": "1"})])
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_job_create(actor=staff, council=council, kind="members", upload=upload(content))
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.errors[0]["row"] == 2
    with pytest.raises(ConflictError):
        imports.import_job_confirm(actor=staff, job=job)


def test_job_failing_at_write_time_is_marked_failed_and_writes_nothing(
    council, term, staff, monkeypatch, django_capture_on_commit_callbacks
):
    content = xlsx_bytes(MEMBER_HEADERS, [member_row(1), member_row(2)])
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_job_create(actor=staff, council=council, kind="members", upload=upload(content))
    monkeypatch.setattr(Membership.objects, "bulk_create", _raise_integrity_error)
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_job_confirm(actor=staff, job=job)
    job.refresh_from_db()
    assert job.status == "failed"
    assert (job.created_count, job.updated_count) == (0, 0)
    assert "写入数据库时出错" in imports.problem_text(job.errors[0])
    assert not Member.objects.exists()


def _raise_integrity_error(*args, **kwargs):
    raise IntegrityError("duplicate key")


def test_job_progress_is_written_every_hundred_rows(council, term, staff, monkeypatch):
    content = xlsx_bytes(MEMBER_HEADERS, [member_row(n) for n in range(1, 251)])
    job = ImportJob.objects.create(council=council, kind="members", created_by=staff, original_name="x.xlsx")
    job.file.save("progress.xlsx", io.BytesIO(content))
    seen = []
    original = imports.JobProgress.checked

    def spy(self, done):
        original(self, done)
        seen.append(ImportJob.objects.get(pk=job.pk).processed_rows)

    monkeypatch.setattr(imports.JobProgress, "checked", spy)
    imports.import_job_run(job_id=job.pk)
    assert sorted(set(seen)) == [0, 100, 200, 250]
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.created_count) == ("checked", 250, 250)
    imports.import_job_run(job_id=job.pk)  # a job runs once
    assert ImportJob.objects.get(pk=job.pk).status == "checked"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_write_progress_is_visible_outside_the_import_transaction(council, staff):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer: the write phase reports its counts at the end")
    job = ImportJob.objects.create(council=council, kind="members", created_by=staff, original_name="x.xlsx")
    progress = imports.JobProgress(job.pk)
    reader = connections.create_connection("default")
    try:
        with transaction.atomic():
            progress.written(100, 0)
            with reader.cursor() as cursor:
                cursor.execute("SELECT created_count FROM org_importjob WHERE id = %s", [job.pk])
                assert cursor.fetchone()[0] == 100
    finally:
        progress.close()
        reader.close()


# --- pages ------------------------------------------------------------------------------------------------


def test_list_page_shows_forms_and_jobs_without_n_plus_one(
    client, council, term, staff, django_assert_max_num_queries
):
    for n in range(12):
        ImportJob.objects.create(
            council=council,
            kind="members" if n % 2 else "units",
            created_by=staff,
            original_name=f"文件{n}.xlsx",
            status="done",
        )
    client.force_login(staff)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("import_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "文件11.xlsx" in html
    assert 'data-testid="upload-form-members"' in html
    assert 'data-testid="upload-form-units"' in html


def test_upload_page_flow(client, council, term, staff, django_capture_on_commit_callbacks):
    client.force_login(staff)
    content = xlsx_bytes(MEMBER_HEADERS, [member_row(1), member_row(2, **{"手机号码*": "12"})])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("import_upload", args=["members"]),
            {"members-council": council.pk, "members-file": upload(content)},
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="problem-table"' in page
    assert "手机号码应为以1开头的11位数字" in page
    assert "确认导入" not in page
    partial = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section id="job-body"')
    assert "<html" not in partial


def test_clean_upload_is_confirmed_from_the_page(
    client, council, term, staff, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    content = xlsx_bytes(MEMBER_HEADERS, [member_row(1)])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("import_upload", args=["members"]),
            {"members-council": council.pk, "members-file": upload(content)},
        )
    job = ImportJob.objects.get()
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "确认导入" in page
    assert "将新增 1 条" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_confirm", args=[job.pk]))
    assert response.status_code == 302
    assert Member.objects.filter(council=council).count() == 1
    assert "导入完成" in client.get(reverse("import_detail", args=[job.pk])).content.decode()


def test_units_upload_and_confirm_from_the_page(client, council, staff, django_capture_on_commit_callbacks):
    client.force_login(staff)
    content = xlsx_bytes(UNIT_HEADERS, [unit_row("市水务局"), unit_row("市水文站", 上级单位="市水务局")])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("import_upload", args=["units"]),
            {"units-council": council.pk, "units-file": upload(content, "单位.xlsx")},
        )
    job = ImportJob.objects.get()
    assert (job.kind, job.status, job.created_count) == ("units", "checked", 2)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_confirm", args=[job.pk]))
    assert Unit.objects.get(name="市水文站").parent.name == "市水务局"
    assert response.status_code == 302


def test_staff_of_a_city_imports_into_a_county_below(
    client, council, make_user, django_capture_on_commit_callbacks
):
    county = CouncilFactory(name="示例县政协", parent=council, level="county")
    TermFactory(council=county)
    SectorFactory(council=county, name="县界别")
    staff = make_user(Role.STAFF, council)
    client.force_login(staff)
    page = client.get(reverse("import_list")).content.decode()
    assert "示例县政协" in page  # a council choice on the forms
    template = client.get(reverse("import_template", args=["members"]), {"council": county.pk})
    notes = openpyxl.load_workbook(io.BytesIO(b"".join(template.streaming_content)))["说明"]
    assert "县界别" in "".join(str(c.value) for row in notes.iter_rows() for c in row if c.value)
    content = xlsx_bytes(MEMBER_HEADERS, [member_row(1, 界别="县界别", 专委会=None, 委员组=None)])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("import_upload", args=["members"]),
            {"members-council": county.pk, "members-file": upload(content)},
        )
    job = ImportJob.objects.get()
    assert (job.council, job.status) == (county, "checked")


def test_running_job_page_polls(client, council, staff):
    job = ImportJob.objects.create(
        council=council,
        kind="members",
        created_by=staff,
        original_name="x.xlsx",
        status="running",
        total_rows=500,
        processed_rows=200,
    )
    client.force_login(staff)
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'value="200" max="500"' in page


def test_bad_upload_shows_the_error_and_stores_nothing(client, council, term, staff):
    client.force_login(staff)
    response = client.post(
        reverse("import_upload", args=["members"]),
        {"members-council": council.pk, "members-file": upload(b"hello", "a.xlsx")},
    )
    assert response.status_code == 400
    assert "文件无法作为Excel(.xlsx)打开" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_staff_cannot_upload_into_another_council(client, council, other_council, term, staff):
    client.force_login(staff)
    content = xlsx_bytes(MEMBER_HEADERS, [member_row(1)])
    response = client.post(
        reverse("import_upload", args=["members"]),
        {"members-council": other_council.pk, "members-file": upload(content)},
    )
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role", [Role.LEADER, Role.UNIT_LIAISON, Role.MEMBER])
def test_roles_without_import_permission_get_403(client, council, term, staff, make_user, role):
    job = ImportJob.objects.create(
        council=council, kind="members", created_by=staff, original_name="x.xlsx", status="checked"
    )
    client.force_login(make_user(role, council))
    content = xlsx_bytes(MEMBER_HEADERS, [member_row(1)])
    assert client.get(reverse("import_list")).status_code == 403
    assert client.get(reverse("import_template", args=["members"])).status_code == 403
    assert (
        client.post(
            reverse("import_upload", args=["units"]),
            {"units-council": council.pk, "units-file": upload(content)},
        ).status_code
        == 403
    )
    assert client.get(reverse("import_detail", args=[job.pk])).status_code == 403
    assert client.post(reverse("import_confirm", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == "checked"
    assert not Member.objects.exists()
    assert ImportJob.objects.count() == 1


def test_another_councils_job_is_404(client, council, other_council, term, staff, make_user):
    job = ImportJob.objects.create(
        council=council, kind="members", created_by=staff, original_name="x.xlsx", status="checked"
    )
    client.force_login(make_user(Role.STAFF, other_council))
    assert client.get(reverse("import_detail", args=[job.pk])).status_code == 404
    assert client.post(reverse("import_confirm", args=[job.pk])).status_code == 404
    assert "x.xlsx" not in client.get(reverse("import_list")).content.decode()
    job.refresh_from_db()
    assert job.status == "checked"


def test_unknown_kind_is_404(client, staff):
    client.force_login(staff)
    assert client.get(reverse("import_template", args=["proposals"])).status_code == 404


# --- command line -----------------------------------------------------------------------------------------


def test_command_checks_then_imports(council, term, tmp_path):
    path = tmp_path / "委员.xlsx"
    path.write_bytes(xlsx_bytes(MEMBER_HEADERS, [member_row(1), member_row(2)]))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_data", "members", str(path), "--council", council.name, "--dry-run", stdout=out, stderr=err
    )
    assert "检查通过" in out.getvalue()
    assert "新增 2 条" in out.getvalue()
    assert not Member.objects.exists()
    call_command("import_data", "members", str(path), "--council", "示例市", stdout=out, stderr=err)
    assert Member.objects.filter(council=council).count() == 2
    assert Event.objects.filter(action="import.run").get().actor is None


def test_command_lists_problems_and_fails(council, term, tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_bytes(xlsx_bytes(UNIT_HEADERS, [unit_row("甲局", 上级单位="乙局")], title="承办单位"))
    out = io.StringIO()
    with pytest.raises(CommandError, match="发现 1 个问题"):
        call_command(
            "import_data", "units", str(path), "--council", council.name, stdout=out, stderr=io.StringIO()
        )
    assert "第2行 [上级单位] 找不到上级单位“乙局”" in out.getvalue()
    with pytest.raises(CommandError, match="找不到名为"):
        call_command("import_data", "units", str(path), "--council", "不存在政协")
    bogus = tmp_path / "bogus.xlsx"
    bogus.write_bytes(b"not a workbook")
    with pytest.raises(CommandError, match="无法作为Excel"):
        call_command("import_data", "units", str(bogus), "--council", council.name)
    assert not Unit.objects.filter(name="甲局").exists()
