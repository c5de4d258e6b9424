"""Stale versions are refused under the lock: a contact record, a co unit's opinion, the public mark, the
conversion consent and conversion, co-sign invitations and the settings each take the version (or, for
settings, the `updated_at`) the form or client read; a stale one gets 409 and nothing is written — through the
service, the screens and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from yizheng.core.errors import ConflictError
from yizheng.proposals import services as s
from yizheng.proposals.models import DEFAULT_DECLINE_REASONS

from .conftest import assignment, db_state, draft, filed, handling, refresh, refused, submitted

pytestmark = pytest.mark.django_db


def contact(world, p, **kw):
    return s.proposal_record_contact(actor=world.lead_liaison, assignment=assignment(p, world.lead_unit),
                                     date=dt.date(2025, 9, 1), method="phone", summary="电话沟通", **kw)  # fmt: skip


def test_record_contact_compares_the_version_under_the_lock(world):
    p = handling(world)
    refused(lambda: contact(world, p, expected_version=p.version - 1), ConflictError, match="他人修改")
    contact(world, p, expected_version=p.version)
    refused(lambda: contact(world, p, expected_version=p.version), ConflictError)  # double submit
    contact(world, p)  # callers that send no version are not refused


def test_co_opinion_compares_the_version_under_the_lock(world):
    p = handling(world)
    a = assignment(p, world.co_unit)
    call = s.proposal_give_co_opinion
    refused(lambda: call(actor=world.co_liaison, assignment=a, opinion="意见", expected_version=p.version + 1),
            ConflictError)  # fmt: skip
    call(actor=world.co_liaison, assignment=a, opinion="意见", expected_version=p.version)
    refused(lambda: call(actor=world.co_liaison, assignment=a, opinion="再改", expected_version=p.version),
            ConflictError)  # fmt: skip


def test_set_public_compares_the_version_under_the_lock(world):
    p = filed(world)
    call = s.proposal_set_public
    refused(lambda: call(actor=world.staff, proposal=p, is_public=True, expected_version=p.version - 1),
            ConflictError)  # fmt: skip
    assert call(actor=world.staff, proposal=p, is_public=True, expected_version=p.version).is_public
    refused(lambda: call(actor=world.staff, proposal=p, is_public=False, expected_version=p.version),
            ConflictError)  # fmt: skip


def test_conversion_consent_and_conversion_compare_the_version_under_the_lock(world):
    p = s.proposal_decline(actor=world.staff, proposal=submitted(world), reason=DEFAULT_DECLINE_REASONS[4],
                           disposition="to_opinion_report")  # fmt: skip
    consent = s.proposal_give_conversion_consent
    refused(lambda: consent(actor=world.member, proposal=p, consent=True, expected_version=p.version - 1),
            ConflictError)  # fmt: skip
    p = consent(actor=world.member, proposal=p, consent=True, expected_version=p.version)
    convert = s.proposal_convert_to_opinion
    refused(lambda: convert(actor=world.staff, proposal=p, expected_version=p.version - 1), ConflictError)
    assert convert(actor=world.staff, proposal=p, expected_version=p.version).conversion_requested_at


def test_cosign_invite_compares_the_version_under_the_lock(world):
    p = draft(world, kind="joint")
    invite = s.proposal_cosign_invite
    refused(lambda: invite(actor=world.member, proposal=p, members=[world.member_b], expected_version=p.version + 1),
            ConflictError)  # fmt: skip
    assert invite(actor=world.member, proposal=p, members=[world.member_b], expected_version=p.version)


def test_settings_compare_updated_at_under_the_lock(world, clock):
    config = s.proposal_settings_get(world.council)
    read = config.updated_at
    s.proposal_settings_update(actor=world.staff, council=world.council, data={"handling_months": 4},
                               expected_updated_at=read.isoformat())  # fmt: skip
    call = s.proposal_settings_update
    for stale in (read, read.isoformat(), "not a time"):
        refused(lambda stale=stale: call(actor=world.staff, council=world.council, data={"handling_months": 5},
                                         expected_updated_at=stale), ConflictError, match="他人修改")  # fmt: skip
    fresh = s.proposal_settings_get(world.council).updated_at
    assert call(actor=world.staff, council=world.council, data={"handling_months": 5},
                expected_updated_at=fresh).handling_months == 5  # fmt: skip


# --- screens ------------------------------------------------------------------------------------------------


def post_409(client, url, data):
    before = db_state()
    response = client.post(url, data)
    assert response.status_code == 409, response.content.decode()[:2000]
    assert "他人修改" in response.content.decode()
    assert db_state() == before


def test_screens_refuse_stale_forms(client, world):
    p = handling(world)
    client.force_login(world.co_liaison)
    url = reverse("assignment_co_opinion", args=[assignment(p, world.co_unit).pk])
    post_409(client, url, {"version": p.version - 1, "opinion": "意见"})
    client.force_login(world.staff)
    post_409(client, reverse("proposal_set_public", args=[p.pk]), {"version": p.version - 1, "value": "on"})
    assert (
        client.post(
            reverse("proposal_set_public", args=[p.pk]), {"version": p.version, "value": "on"}
        ).status_code
        == 302
    )
    assert refresh(p).is_public


def test_settings_page_refuses_a_form_left_open_while_someone_saved(client, world):
    client.force_login(world.staff)
    url = reverse("proposal_settings") + f"?council={world.council.pk}"
    page = client.get(url)
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if k not in ("reminder_days", "decline_reasons")}
    data.update(
        reminder_days="30, 7, 1", decline_reasons="\n".join(form.initial["decline_reasons"].splitlines())
    )
    for row in form.result_rows:
        for key in ("code", "label", "description"):
            data[f"rc-{row['index']}-{key}"] = row[key]
        if row["requires_commitments"]:
            data[f"rc-{row['index']}-requires"] = "on"
    assert data["updated_at"]
    s.proposal_settings_update(actor=world.staff, council=world.council, data={"handling_months": 4})
    post_409(client, url, {**data, "handling_months": 5})
    assert s.proposal_settings_get(world.council).handling_months == 4
    data["updated_at"] = s.proposal_settings_get(world.council).updated_at.isoformat()
    assert client.post(url, {**data, "handling_months": 5}).status_code == 302
    assert s.proposal_settings_get(world.council).handling_months == 5


# --- API ----------------------------------------------------------------------------------------------------


def api(user, path, body):
    c = Client()
    c.force_login(user)
    return c.post("/api/v1" + path, body, content_type="application/json")


def test_api_refuses_stale_versions(world):
    p = handling(world)
    lead, co = assignment(p, world.lead_unit), assignment(p, world.co_unit)
    body = {"date": "2025-09-01", "method": "phone", "summary": "电话沟通"}
    for user, path, data in [
        (world.lead_liaison, f"/assignments/{lead.pk}/actions/record_contact", body),
        (world.co_liaison, f"/assignments/{co.pk}/actions/co_opinion", {"opinion": "意见"}),
        (world.staff, f"/proposals/{p.pk}/actions/set_public", {"is_public": True}),
    ]:
        response = api(user, path, {**data, "expected_version": p.version - 1})
        assert response.status_code == 409, response.content
    assert api(world.lead_liaison, f"/assignments/{lead.pk}/actions/record_contact", body).status_code == 201
