from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors_trail import target_types


class EventFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor_q = forms.CharField(label=_("操作人"), required=False, max_length=80)
    action = forms.CharField(label=_("操作"), required=False, max_length=64)
    target_type = forms.ChoiceField(label=_("对象类型"), required=False)
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_type"].choices = [("", _("全部类型")), *target_types()]
        self.fields["actor_q"].widget.attrs["placeholder"] = _("姓名或用户名")
        self.fields["action"].widget.attrs.update(
            {"placeholder": _("如 account. 或 auth.login"), "list": "actions"}
        )
        self.fields["q"].widget.attrs["placeholder"] = _("对象名称、编号或客户端地址")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return data

    def filters(self) -> dict:
        """The valid filters (an invalid field is shown with its error and left out)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
