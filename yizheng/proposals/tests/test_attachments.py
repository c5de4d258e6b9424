"""Attachment downloads: anyone who may view the proposal gets the file from storage, with its content type, the
Chinese file name in Content-Disposition (RFC 6266 / 5987) and nosniff; anyone else gets 404 — on the screens
and through the API. The pages link every attachment."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yizheng.proposals import services as s

from .conftest import draft, refresh

pytestmark = pytest.mark.django_db

NAME = "托育机构调研报告.pdf"
CONTENT = b"%PDF-1.7 \xe6\x89\x98\xe8\x82\xb2 report"


def with_attachment(world):
    p = draft(world)
    a = s.attachment_add(actor=world.member, proposal=p, file=SimpleUploadedFile(NAME, CONTENT))
    return p, a


def assigned(world, p):
    p = s.proposal_file(actor=world.staff, proposal=s.proposal_submit(actor=world.member, proposal=p))
    return s.proposal_assign(
        actor=world.staff, proposal=p, lead_unit=world.lead_unit, co_units=[world.co_unit]
    )


def fetch(user, url):
    c = Client()
    c.force_login(user)
    return c.get(url)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_download(response):
    assert response.status_code == 200
    assert body(response) == CONTENT
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    # RFC 6266 with the RFC 5987 UTF-8 form of the Chinese name
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(NAME)}"


def test_submitter_downloads_an_attachment_of_a_draft_others_get_404(world):
    p, a = with_attachment(world)
    url = reverse("proposal_attachment_download", args=[p.pk, a.pk])
    assert_download(fetch(world.member, url))
    for user in (world.staff, world.member_b_user, world.lead_liaison, world.other_member, world.other_staff):
        assert fetch(user, url).status_code == 404, user  # a draft is its submitter's alone


def test_everyone_who_may_view_the_proposal_downloads_it_no_one_else(world):
    p, a = with_attachment(world)
    p = assigned(world, p)
    url = reverse("proposal_attachment_download", args=[p.pk, a.pk])
    for user in (world.member, world.staff, world.general_staff, world.supervisor, world.lead_liaison,
                 world.co_liaison):  # fmt: skip
        assert_download(fetch(user, url))
    for user in (world.member_b_user, world.stranger_liaison, world.other_member, world.other_staff,
                 world.other_liaison):  # fmt: skip
        assert fetch(user, url).status_code == 404, user
    anonymous = Client().get(url)
    assert anonymous.status_code == 302  # to sign in


def test_an_attachment_is_reached_only_through_its_own_proposal(world):
    p, a = with_attachment(world)
    other = draft(world, title="关于另一件事的提案")
    assert (
        fetch(world.member, reverse("proposal_attachment_download", args=[other.pk, a.pk])).status_code == 404
    )
    assert (
        fetch(world.member, reverse("proposal_attachment_download", args=[p.pk, a.pk + 999])).status_code
        == 404
    )


def test_a_file_missing_from_storage_is_404_not_500(world):
    p, a = with_attachment(world)
    a.file.storage.delete(a.file.name)
    assert fetch(world.member, reverse("proposal_attachment_download", args=[p.pk, a.pk])).status_code == 404


def test_pages_link_the_attachments(world):
    p, a = with_attachment(world)
    url = reverse("proposal_attachment_download", args=[p.pk, a.pk])
    assert url in fetch(world.member, reverse("proposal_edit", args=[p.pk])).content.decode()
    p = assigned(world, p)
    assert url in fetch(world.member, reverse("proposal_detail", args=[p.pk])).content.decode()
    assert url in fetch(world.staff, reverse("proposal_handling", args=[p.pk])).content.decode()
    workspace = reverse("assignment_workspace", args=[refresh(p).assignments.get(unit=world.lead_unit).pk])
    assert url in fetch(world.lead_liaison, workspace).content.decode()


def test_api_lists_and_serves_attachments(world):
    p, a = with_attachment(world)
    p = assigned(world, p)
    listing = fetch(world.lead_liaison, f"/api/v1/proposals/{p.pk}/attachments")
    assert listing.status_code == 200
    (row,) = listing.json()
    assert (row["id"], row["name"], row["size"], row["content_type"]) == (
        a.pk,
        NAME,
        len(CONTENT),
        "application/pdf",
    )
    assert_download(fetch(world.lead_liaison, row["download"]))
    for user in (world.stranger_liaison, world.other_member, world.other_staff):
        assert fetch(user, f"/api/v1/proposals/{p.pk}/attachments").status_code == 404
        assert fetch(user, row["download"]).status_code == 404
