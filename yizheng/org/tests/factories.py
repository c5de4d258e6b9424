"""factory_boy factories for every org model. State that has rules is reached through services elsewhere."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from yizheng.org.models import (
    Committee,
    Council,
    Member,
    MemberGroup,
    Membership,
    Organization,
    Plenary,
    RoleAssignment,
    Sector,
    Term,
    Unit,
    User,
)
from yizheng.org.validators import id_number_check_digit


class CouncilFactory(DjangoModelFactory):
    class Meta:
        model = Council
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试{n}市政协")
    short_name = factory.Sequence(lambda n: f"测试{n}市")
    level = Council.Level.MUNICIPAL
    parent = None

    @factory.post_generation
    def set_path(obj, create, extracted, **kwargs):
        obj.path = f"{obj.parent.path if obj.parent else '/'}{obj.pk}/"
        if create:
            obj.save(update_fields=["path"])


class TermFactory(DjangoModelFactory):
    class Meta:
        model = Term

    council = factory.SubFactory(CouncilFactory)
    number = 6
    start_date = dt.date(2022, 1, 1)
    end_date = dt.date(2026, 12, 31)
    is_current = True


class PlenaryFactory(DjangoModelFactory):
    class Meta:
        model = Plenary

    term = factory.SubFactory(TermFactory)
    number = 3
    start_date = dt.date(2026, 1, 8)
    end_date = dt.date(2026, 1, 11)
    proposal_window_start = dt.date(2025, 12, 1)
    proposal_deadline = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)


class CommitteeFactory(DjangoModelFactory):
    class Meta:
        model = Committee

    council = factory.SubFactory(CouncilFactory)
    name = factory.Sequence(lambda n: f"专委会{n}")
    kind = Committee.Kind.OTHER


class SectorFactory(DjangoModelFactory):
    class Meta:
        model = Sector

    council = factory.SubFactory(CouncilFactory)
    name = factory.Sequence(lambda n: f"界别{n}")
    kind = Sector.Kind.PROFESSION


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    council = factory.SubFactory(CouncilFactory)
    name = factory.Sequence(lambda n: f"党派团体{n}")
    kind = Organization.Kind.PARTY


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    council = factory.SubFactory(CouncilFactory)
    name = factory.Sequence(lambda n: f"测试局{n}")
    kind = Unit.Kind.GOVERNMENT_DEPARTMENT
    contact_name = "王联络"
    contact_phone = "13800000000"


def _id_number(n: int) -> str:
    first17 = f"420300198001{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_number_check_digit(first17)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    council = factory.SubFactory(CouncilFactory)
    password = factory.PostGenerationMethodCall("set_password", "Yizheng-test-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    council = factory.SubFactory(CouncilFactory)
    name = factory.Sequence(lambda n: f"委员{n}")
    gender = Member.Gender.MALE
    id_number = factory.Sequence(_id_number)
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    work_unit = "示例单位"


class MemberGroupFactory(DjangoModelFactory):
    class Meta:
        model = MemberGroup

    term = factory.SubFactory(TermFactory)
    council = factory.SelfAttribute("term.council")
    name = factory.Sequence(lambda n: f"委员组{n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    member = factory.SubFactory(MemberFactory)
    term = factory.SubFactory(TermFactory, council=factory.SelfAttribute("..member.council"))
    sector = factory.SubFactory(SectorFactory, council=factory.SelfAttribute("..member.council"))


class RoleAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    council = factory.SelfAttribute("user.council")
    role = "staff"
    office = "general"
