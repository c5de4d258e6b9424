"""Forms of the key-proposal selection and excellent-proposal screens. Forms only parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms_handling import DATE_INPUT
from .selection_workflow import Decision, NominationSource, SelectionKind


class _Versioned(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class OpenForm(forms.Form):
    council = forms.ModelChoiceField(queryset=None, label=_("政协组织"), empty_label=None)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("类别"), choices=SelectionKind.choices)

    def __init__(self, *args, councils=(), **kwargs):
        super().__init__(*args, **kwargs)
        from yizheng.org.models import Council

        self.fields["council"].queryset = Council.objects.filter(pk__in=[c.pk for c in councils])
        if len(councils) == 1:
            self.fields["council"].initial = councils[0].pk
            self.fields["council"].widget = forms.HiddenInput()


class NominateForm(_Versioned):
    proposal = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("理由"), max_length=2000)
    source = forms.ChoiceField(
        label=_("推荐方"), choices=NominationSource.choices, initial=NominationSource.STAFF
    )
    source_name = forms.CharField(label=_("推荐单位"), max_length=100, required=False)
    suggested_leaders = forms.ModelMultipleChoiceField(queryset=None, label=_("建议督办领导"), required=False)
    lead_unit_note = forms.CharField(label=_("牵头单位建议"), max_length=200, required=False)

    def __init__(self, *args, leaders=None, **kwargs):
        super().__init__(*args, **kwargs)
        from yizheng.org.models import User

        self.fields["suggested_leaders"].queryset = leaders if leaders is not None else User.objects.none()
        self.fields["suggested_leaders"].label_from_instance = str


class DecideForm(_Versioned):
    decision = forms.ChoiceField(
        label=_("结果"), choices=[(Decision.SELECTED, _("入选")), (Decision.REJECTED, _("未入选"))]
    )
    score = forms.DecimalField(label=_("评分"), min_value=0, max_value=100, decimal_places=1, required=False)
    opinion = forms.CharField(label=_("意见"), max_length=2000, required=False)


class SendBackForm(_Versioned):
    note = forms.CharField(label=_("退回理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ApproveForm(_Versioned):
    meeting_name = forms.CharField(label=_("审定会议"), max_length=100, required=False)
    document_number = forms.CharField(label=_("通报文号"), max_length=60, required=False)
    decided_on = forms.DateField(label=_("审定日期"), widget=DATE_INPUT)
    note = forms.CharField(label=_("审定意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    struck = forms.MultipleChoiceField(label=_("划去"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, kind: str, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["struck"].choices = [(str(n.pk), n.proposal.title) for n in items]
        if kind == SelectionKind.KEY:
            self.fields["meeting_name"].required = True
            self.fields["meeting_name"].widget.attrs["placeholder"] = _("如:六届主席会议第十二次会议")
            self.fields["document_number"].label = _("印发文号")
            self.fields["document_number"].widget.attrs["placeholder"] = _("如:政协〔2026〕12号")
        else:
            self.fields["document_number"].required = True
            self.fields["document_number"].widget.attrs["placeholder"] = _("如:政协〔2026〕12号")
            self.fields["meeting_name"].widget.attrs["placeholder"] = _("如:六届主席会议第十二次会议")

    def struck_ids(self) -> list[int]:
        return [int(x) for x in self.cleaned_data.get("struck") or []]
