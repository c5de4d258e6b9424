"""What each recorded event tells whom: event → notification drafts. Also the reminder drafts of the daily job.

Texts are rendered in the site language when the notification is created. The actor of an event is never told
about their own action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from yizheng.audit.models import Event
from yizheng.followups.models import FollowUp
from yizheng.followups.workflow import Status as FollowUpStatus
from yizheng.proposals import workflow as wf
from yizheng.proposals.models import Assignment, CoSignature, Countersignature, Proposal, Reply
from yizheng.proposals.selectors import proposal_case_labels

from . import recipients
from .services import Draft

Handler = Callable[[Event], list[Draft]]
HANDLERS: dict[str, Handler] = {}


def on(*actions: str) -> Callable[[Handler], Handler]:
    def decorate(fn: Handler) -> Handler:
        for action in actions:
            HANDLERS[action] = fn
        return fn

    return decorate


def drafts_for(event: Event) -> list[Draft]:
    handler = HANDLERS.get(event.action)
    if handler is None:
        return []
    return [d for d in handler(event) if d.recipient.pk != event.actor_id]


# --- helpers ----------------------------------------------------------------------------------------------


def cn_date(value) -> str:
    """2026年11月25日, from a date, a datetime or their ISO text."""
    if isinstance(value, str):
        value = parse_datetime(value) or parse_date(value)
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    if not isinstance(value, date):
        return ""
    return _("%(y)s年%(m)s月%(d)s日") % {"y": value.year, "m": value.month, "d": value.day}


def link(name: str, *args, fallback: str = "") -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def proposal_url(proposal_id) -> str:
    return link("proposal_detail", proposal_id, fallback=f"/proposals/{proposal_id}/")


def workspace_url(assignment_id, proposal_id) -> str:
    return link("workspace", assignment_id, fallback=proposal_url(proposal_id))


def _proposal(event: Event) -> Proposal | None:
    return Proposal.objects.select_related("council", "lead_member").filter(pk=event.target_id).first()


def _to(users, event: Event, proposal: Proposal, title: str, body: str = "", url: str = "") -> list[Draft]:
    return [
        Draft(
            recipient=user,
            kind=event.action,
            title=title,
            body=body,
            url=url or proposal_url(proposal.pk),
            council_id=proposal.council_id,
            target_type="proposals.proposal",
            target_id=str(proposal.pk),
            source_event_id=event.pk,
            dedupe_key=f"event:{event.seq}",
        )
        for user in users
    ]


def _named(proposal: Proposal) -> str:
    """《title》, with the case number once filed."""
    label = proposal_case_labels([proposal])[proposal.pk] if proposal.case_number else ""
    return f"{label}《{proposal.title}》" if label else f"《{proposal.title}》"


def _assignments(assignment_ids: Iterable) -> dict[int, Assignment]:
    return {a.pk: a for a in Assignment.objects.filter(pk__in=list(assignment_ids)).select_related("unit")}


# --- co-signing --------------------------------------------------------------------------------------------


@on("proposal.cosign_invite")
def cosign_invite(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    names = event.payload.get("members") or []
    members = [
        c.member
        for c in CoSignature.objects.filter(
            proposal=p, status=CoSignature.Status.INVITED, member__name__in=names
        ).select_related("member")
    ]
    body = _("%(lead)s邀请您联名提出提案《%(title)s》,请在%(deadline)s前答复是否同意联名。") % {
        "lead": p.submitter_label,
        "title": p.title,
        "deadline": cn_date(event.payload.get("deadline")),
    }
    return _to(
        recipients.members_users(members), event, p, _("联名邀请:《%(title)s》") % {"title": p.title}, body
    )


@on("proposal.cosign_accept", "proposal.cosign_decline")
def cosign_answer(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    accepted = event.action.endswith("accept")
    title = (_("%(member)s同意联名《%(title)s》") if accepted else _("%(member)s谢绝联名《%(title)s》")) % {
        "member": event.payload.get("member", ""),
        "title": p.title,
    }
    return _to(recipients.lead_submitters(p), event, p, title)


# --- review ------------------------------------------------------------------------------------------------


@on("proposal.return_for_revision")
def returned(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    title = _("提案《%(title)s》已退回修改") % {"title": p.title}
    body = _("审查意见:%(comments)s\n请修改后重新提交。") % {"comments": event.payload.get("comments", "")}
    return _to(recipients.lead_submitters(p), event, p, title, body)


@on("proposal.decline")
def declined(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    payload = event.payload
    disposition = payload.get("disposition") or ""
    lines = [_("不予立案理由:%(reason)s") % {"reason": payload.get("reason", "")}]
    if payload.get("note"):
        lines.append(_("审查意见:%(note)s") % {"note": payload["note"]})
    if disposition:
        lines.append(_("处理方式:%(d)s") % {"d": wf.Disposition(disposition).label})
    if disposition == wf.Disposition.TO_OPINION_REPORT and payload.get("conversion_consent") is None:
        lines.append(_("拟转为社情民意信息,请在平台上答复是否同意。"))
    title = _("提案《%(title)s》不予立案") % {"title": p.title}
    return _to(recipients.submitters(p), event, p, title, "\n".join(lines))


@on("proposal.file")
def filed(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    case = event.payload.get("case_label", "")
    title = _("提案《%(title)s》已立案,案号%(case)s") % {"title": p.title, "case": case}
    body = _("您的提案已经审查立案(%(case)s),将交承办单位办理。") % {"case": case}
    return _to(recipients.submitters(p), event, p, title, body)


@on("proposal.merge")
def merged(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    title = _("提案《%(title)s》已并案办理") % {"title": p.title}
    body = _("您的提案已并入《%(primary)s》一并办理,答复后请您评价。") % {
        "primary": event.payload.get("primary_title", "")
    }
    return _to(recipients.submitters(p), event, p, title, body)


# --- assignment and the unit's requests ---------------------------------------------------------------------


@on("proposal.assign")
def assigned(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    rows = event.payload.get("assignments") or []
    found = _assignments(r["id"] for r in rows)
    drafts: list[Draft] = []
    for a in found.values():
        title = _("交办提案:%(name)s(%(role)s)") % {"name": _named(p), "role": a.get_role_display()}
        body = _(
            "办理期限:%(deadline)s%(provisional)s。如认为不属于本单位职责,请于%(adjust)s前申请调整。"
        ) % {
            "deadline": cn_date(a.deadline),
            "provisional": _("(暂定)") if a.deadline_provisional else "",
            "adjust": cn_date(a.adjustment_deadline),
        }
        drafts += _to(recipients.unit_users([a.unit_id]), event, p, title, body, workspace_url(a.pk, p.pk))
    if event.payload.get("is_key") and event.payload.get("supervising_leaders"):
        title = _("重点提案%(name)s已交办,请领衔督办") % {"name": _named(p)}
        drafts += _to(p.supervising_leaders.filter(is_active=True), event, p, title)
    return drafts


@on("proposal.request_adjustment", "proposal.request_extension")
def unit_request(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    payload = event.payload
    if event.action.endswith("adjustment"):
        title = _("%(unit)s申请调整提案%(name)s") % {"unit": payload.get("unit", ""), "name": _named(p)}
        body = _("申请理由:%(reason)s") % {"reason": payload.get("reason", "")}
    else:
        title = _("%(unit)s申请延期办理提案%(name)s") % {"unit": payload.get("unit", ""), "name": _named(p)}
        body = _("申请延至%(date)s。申请理由:%(reason)s") % {
            "date": cn_date(payload.get("requested_deadline")),
            "reason": payload.get("reason", ""),
        }
    return _to(recipients.proposal_staff(p.council_id), event, p, title, body)


@on("proposal.decide_adjustment", "proposal.decide_extension")
def unit_request_decided(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    payload = event.payload
    assignment = _assignments([payload.get("assignment")]).get(payload.get("assignment"))
    if assignment is None:
        return []
    granted = payload.get("granted")
    if event.action.endswith("adjustment"):
        title = (_("提案%(name)s的调整申请已同意") if granted else _("提案%(name)s的调整申请未同意")) % {
            "name": _named(p)
        }
        body = _("本单位不再承办该提案。") if granted else _("请按交办意见办理。")
    else:
        title = (_("提案%(name)s的延期申请已同意") if granted else _("提案%(name)s的延期申请未同意")) % {
            "name": _named(p)
        }
        deadlines = payload.get("deadline") or [None, None]
        body = _("办理期限:%(date)s。") % {"date": cn_date(deadlines[-1])}
    if payload.get("note"):
        body += _("审批意见:%(note)s") % {"note": payload["note"]}
    return _to(
        recipients.unit_users([assignment.unit_id]), event, p, title, body, workspace_url(assignment.pk, p.pk)
    )


# --- replies ------------------------------------------------------------------------------------------------


def _to_review(event: Event, p: Proposal, unit: str) -> list[Draft]:
    title = _("%(unit)s对提案%(name)s的答复待督办审核") % {"unit": unit, "name": _named(p)}
    users = {u.pk: u for u in recipients.supervisors(p.council_id) + recipients.proposal_staff(p.council_id)}
    return _to([users[k] for k in sorted(users)], event, p, title)


@on("proposal.submit_reply")
def reply_submitted(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    payload = event.payload
    if payload.get("status") == wf.ReplyStatus.COUNTERSIGNING:
        units = Countersignature.objects.filter(reply_id=payload.get("reply")).values_list(
            "assignment__unit_id", flat=True
        )
        title = _("请会签%(unit)s对提案%(name)s的答复") % {"unit": payload.get("unit", ""), "name": _named(p)}
        return _to(recipients.unit_users(units), event, p, title)
    return _to_review(event, p, payload.get("unit", ""))


@on("proposal.countersign")
def countersigned(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    payload = event.payload
    reply = Reply.objects.select_related("assignment__unit").filter(pk=payload.get("reply")).first()
    if reply is None:
        return []
    if payload.get("reply_status") == wf.ReplyStatus.UNDER_REVIEW:
        return _to_review(event, p, str(reply.assignment.unit))
    if payload.get("reply_status") == wf.ReplyStatus.RETURNED:
        title = _("%(unit)s退回了提案%(name)s的答复") % {"unit": payload.get("unit", ""), "name": _named(p)}
        body = _("会签意见:%(comment)s") % {"comment": payload.get("comment", "")}
        url = workspace_url(reply.assignment_id, p.pk)
        return _to(recipients.unit_users([reply.assignment.unit_id]), event, p, title, body, url)
    return []


@on("proposal.supervise_review")
def reviewed(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    payload = event.payload
    reply = Reply.objects.select_related("assignment").filter(pk=payload.get("reply")).first()
    if reply is None:
        return []
    if payload.get("approved"):
        title = _("提案%(name)s的答复已审定(%(result)s类)") % {
            "name": _named(p),
            "result": payload.get("result"),
        }
        body = ""
    else:
        title = _("提案%(name)s的答复被督办退回") % {"name": _named(p)}
        body = _("督办意见:%(note)s\n请修改后重新提交。") % {"note": payload.get("note", "")}
    url = workspace_url(reply.assignment_id, p.pk)
    return _to(recipients.unit_users([reply.assignment.unit_id]), event, p, title, body, url)


@on("proposal.publish")
def published(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    title = _("提案%(name)s已答复,请评价") % {"name": _named(p)}
    body = _("承办单位已答复您的提案,请在%(date)s前对办理工作和办理结果作出评价。") % {
        "date": cn_date(event.payload.get("evaluation_deadline"))
    }
    return _to(recipients.submitters(p), event, p, title, body)


@on("proposal.set_key")
def key_set(event: Event) -> list[Draft]:
    """A proposal became a key proposal (on the assignment board or approved by the chair's meeting): its units
    and supervising leaders are told."""
    p = _proposal(event)
    if p is None or not p.is_key or not (event.payload.get("changes") or {}).get("is_key"):
        return []
    title = _("提案%(name)s列为重点提案") % {"name": _named(p)}
    body = (
        _("经%(meeting)s审定,列为重点提案。") % {"meeting": event.payload["name"]}
        if event.payload.get("name")
        else ""
    )
    units = set(p.assignments.filter(active=True).values_list("unit_id", flat=True))
    drafts = _to(recipients.unit_users(units), event, p, title, body)
    drafts += _to(p.supervising_leaders.filter(is_active=True), event, p, _("请领衔督办重点提案%(name)s") % {
        "name": _named(p)}, body)  # fmt: skip
    return drafts


@on("proposal.mark_excellent")
def excellent(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None or not event.payload.get("is_excellent"):
        return []
    title = _("提案%(name)s被评为优秀提案") % {"name": _named(p)}
    body = _("见%(document)s。") % {"document": event.payload["name"]} if event.payload.get("name") else ""
    return _to(recipients.submitters(p), event, p, title, body)


@on("proposal.rehandle")
def rehandled(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    drafts: list[Draft] = []
    for a in _assignments(r["id"] for r in event.payload.get("assignments") or []).values():
        title = _("提案%(name)s须重新办理") % {"name": _named(p)}
        body = _("提案人对答复不满意,请重新办理并于%(date)s%(provisional)s前重新答复。") % {
            "date": cn_date(a.deadline),
            "provisional": _("(暂定)") if a.deadline_provisional else "",
        }
        drafts += _to(recipients.unit_users([a.unit_id]), event, p, title, body, workspace_url(a.pk, p.pk))
    return drafts


@on("proposal.close")
def closed(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    return _to(recipients.submitters(p), event, p, _("提案%(name)s已办结") % {"name": _named(p)})


@on("proposal.reopen")
def reopened(event: Event) -> list[Draft]:
    p = _proposal(event)
    if p is None:
        return []
    title = _("提案%(name)s重启办理") % {"name": _named(p)}
    body = _("条件发生变化,您的提案将重新交承办单位办理。理由:%(reason)s") % {
        "reason": event.payload.get("reason", "")
    }
    return _to(recipients.submitters(p), event, p, title, body)


# --- key-proposal selection and excellent-proposal awards ------------------------------------------------------


def _round_drafts(users, event: Event, title: str, body: str, url_name: str) -> list[Draft]:
    from yizheng.proposals.models import Selection

    r = Selection.objects.filter(pk=event.target_id).select_related("council").first()
    if r is None:
        return []
    return [
        Draft(
            recipient=user,
            kind=event.action,
            title=title % {"name": r},
            body=body,
            url=link(url_name, r.pk),
            council_id=r.council_id,
            target_type="proposals.selection",
            target_id=str(r.pk),
            source_event_id=event.pk,
            dedupe_key=f"event:{event.seq}",
        )
        for user in users(r.council_id)
    ]


@on("selection.submit")
def selection_submitted(event: Event) -> list[Draft]:
    """A round's list waits for approval: the council's leaders are told."""
    return _round_drafts(recipients.leaders, event, _("%(name)s名单已报审定"), "", "selection_approval")


@on("selection.send_back")
def selection_sent_back(event: Event) -> list[Draft]:
    body = _("退回理由:%(reason)s") % {"reason": event.payload.get("reason", "")}
    return _round_drafts(
        recipients.proposal_staff, event, _("%(name)s名单被退回重新审议"), body, "selection_detail"
    )


# --- follow-ups --------------------------------------------------------------------------------------------


def followup_url(pk) -> str:
    return link("followup_detail", pk, fallback="")


def _followup_owners(f: FollowUp) -> list:
    if f.owner_unit_id:
        return recipients.unit_users([f.owner_unit_id])
    return [f.owner_user] if f.owner_user and f.owner_user.is_active else []


def _followup_drafts(users, f: FollowUp, kind: str, title: str, body: str, key: str, event_id=None):
    return [
        Draft(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            url=followup_url(f.pk),
            council_id=f.council_id,
            target_type="followups.followup",
            target_id=str(f.pk),
            source_event_id=event_id,
            dedupe_key=key,
        )
        for user in users
    ]


@on("followup.create", "followup.mark_overdue")
def followup_event(event: Event) -> list[Draft]:
    f = FollowUp.objects.select_related("owner_user", "created_by").filter(pk=event.target_id).first()
    if f is None:
        return []
    users = _followup_owners(f)
    body = _("来源:%(source)s;完成时限:%(due)s。") % {"source": f.source_label, "due": cn_date(f.due_date)}
    if event.action == "followup.create":
        title = _("新的跟踪落实事项:%(title)s") % {"title": f.title}
    else:
        title = _("跟踪落实事项已超期:%(title)s") % {"title": f.title}
        extra = recipients.proposal_staff(f.council_id) if f.source_type.startswith("proposals.") else []
        if f.created_by and f.created_by.is_active:
            extra.append(f.created_by)
        users = list({u.pk: u for u in users + extra}.values())
    return _followup_drafts(users, f, event.action, title, body, f"event:{event.seq}", event.pk)


# --- reminders (the daily job) -----------------------------------------------------------------------------


def assignment_reminders(due, today: date) -> list[Draft]:
    """Each reminder due (selectors.proposal_reminders_due) to the unit; overdue ones also to the office."""
    items = list(due)
    labels = proposal_case_labels([d.assignment.proposal for d in items])
    drafts: list[Draft] = []
    for d in items:
        a, p = d.assignment, d.assignment.proposal
        name = f"{labels.get(p.pk, '')}《{p.title}》"
        what = _("协办意见") if a.role == wf.AssignmentRole.CO else _("办理答复")
        if d.kind == wf.OVERDUE:
            days = (today - d.deadline).days
            title = _("已超期%(days)s天:提案%(name)s") % {"days": days, "name": name}
            body = _("%(unit)s承办的提案%(name)s的%(what)s期限为%(date)s,已超期%(days)s天,请抓紧办理。") % {
                "unit": a.unit, "name": name, "what": what, "date": cn_date(d.deadline), "days": days,
            }  # fmt: skip
            users = recipients.unit_users([a.unit_id]) + recipients.proposal_staff(p.council_id)
        else:
            left = (d.deadline - today).days
            title = _("还有%(days)s天到期:提案%(name)s") % {"days": left, "name": name}
            body = _("%(unit)s承办的提案%(name)s的%(what)s期限为%(date)s%(provisional)s,请按时办理。") % {
                "unit": a.unit, "name": name, "what": what, "date": cn_date(d.deadline),
                "provisional": _("(暂定)") if a.deadline_provisional else "",
            }  # fmt: skip
            users = recipients.unit_users([a.unit_id])
        drafts += [
            Draft(
                recipient=user,
                kind=f"reminder.{d.kind}",
                title=title,
                body=body,
                url=workspace_url(a.pk, p.pk),
                council_id=p.council_id,
                target_type="proposals.assignment",
                target_id=str(a.pk),
                dedupe_key=f"reminder:{a.pk}:{d.kind}:{d.deadline.isoformat()}",
            )
            for user in {u.pk: u for u in users}.values()
        ]
    return drafts


FOLLOWUP_REMINDER_DAYS = (7, 1)


def followup_reminders(today: date) -> list[Draft]:
    """Open follow-ups due within 7 days: one reminder at 7 and one at 1 day before, to the owner."""
    rows = FollowUp.objects.filter(
        status__in=[FollowUpStatus.OPEN, FollowUpStatus.IN_PROGRESS],
        due_date__gte=today,
        due_date__lte=today + timedelta(days=max(FOLLOWUP_REMINDER_DAYS)),
    ).select_related("owner_user")
    drafts: list[Draft] = []
    for f in rows:
        kind = wf.reminder_kind(f.due_date, today, FOLLOWUP_REMINDER_DAYS)
        if kind is None:
            continue
        title = _("还有%(days)s天到期:跟踪落实事项%(title)s") % {
            "days": (f.due_date - today).days,
            "title": f.title,
        }
        body = _("来源:%(source)s;完成时限:%(due)s。") % {
            "source": f.source_label,
            "due": cn_date(f.due_date),
        }
        key = f"followup-reminder:{f.pk}:{kind}:{f.due_date.isoformat()}"
        drafts += _followup_drafts(_followup_owners(f), f, f"reminder.{kind}", title, body, key)
    return drafts
