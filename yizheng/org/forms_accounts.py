"""Forms of the administrators' screens. They parse input; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yizheng.core.errors import ApplicationError

from . import permissions
from .models import Committee, Office, Organization, Role, Sector, Unit


def apply_errors(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's refusal on the form: field errors on their fields, the rest at the top."""
    placed = False
    for field, messages in exc.errors.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
            else:
                form.add_error(None, message)
    if not placed:
        form.add_error(None, exc.message)


class _ScopedChoice(forms.ModelChoiceField):
    """A choice of a council's row; shows the council when the tree has several."""

    def __init__(self, *args, show_council: bool = False, **kwargs):
        self.show_council = show_council
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        if self.show_council:
            return f"{obj}({obj.council.short_name or obj.council})"
        return str(obj)


class CouncilChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=60)
    council = CouncilChoice(label=_("所属政协"), queryset=None, required=False, empty_label=_("全部政协"))
    role = forms.ChoiceField(label=_("角色"), required=False)
    active = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), ("1", _("启用")), ("0", _("停用"))]
    )

    def __init__(self, *args, actor, perm: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = permissions.councils_for(actor, perm)
        self.fields["role"].choices = [("", _("全部角色")), *Role.choices]
        self.fields["q"].widget.attrs["placeholder"] = _("用户名、姓名或手机号码")


class AccountCreateForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=30)
    full_name = forms.CharField(label=_("姓名"), max_length=40)
    council = CouncilChoice(label=_("所属政协"), queryset=None, empty_label=None)
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    password = forms.CharField(
        label=_("初始密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少10位,包含大写字母、小写字母、数字、符号中的至少三类;用户首次登录时须修改。"),
    )
    password2 = forms.CharField(
        label=_("确认初始密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = permissions.councils_for(actor, "account.manage")

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class AccountEditForm(forms.Form):
    full_name = forms.CharField(label=_("姓名"), max_length=40)
    council = CouncilChoice(label=_("所属政协"), queryset=None, empty_label=None)
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = permissions.councils_for(actor, "account.manage")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=200, widget=forms.TextInput(attrs={"placeholder": _("如:调离岗位")})
    )


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label=_("新的初始密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("用户下次登录时须修改。"),
    )
    password2 = forms.CharField(
        label=_("确认密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("原密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少10位,包含大写字母、小写字母、数字、符号中的至少三类,不能与原密码相同。"),
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"))
    council = CouncilChoice(label=_("授权的政协组织"), queryset=None, empty_label=None)
    unit = _ScopedChoice(
        label=_("单位"), queryset=None, required=False, help_text=_("承办单位联络员、审核人须指定")
    )
    office = forms.ChoiceField(label=_("处室"), required=False, help_text=_("机关工作人员指定处室或专委会"))
    committee = _ScopedChoice(
        label=_("专委会"), queryset=None, required=False, help_text=_("机关工作人员或集体提案经办人")
    )
    organization = _ScopedChoice(
        label=_("党派团体"), queryset=None, required=False, help_text=_("集体提案经办人指定其一")
    )
    sector = _ScopedChoice(
        label=_("界别"), queryset=None, required=False, help_text=_("集体提案经办人指定其一")
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        councils = permissions.councils_for(actor, "role.assign")
        several = councils.count() > 1
        self.fields["council"].queryset = councils
        self.fields["role"].choices = [("", "—"), *Role.choices]
        self.fields["office"].choices = [("", "—"), *Office.choices]
        for name, model in (
            ("unit", Unit),
            ("committee", Committee),
            ("organization", Organization),
            ("sector", Sector),
        ):
            field = self.fields[name]
            rows = model.objects.filter(council__in=councils).select_related("council")
            if name in ("unit", "committee"):
                rows = rows.filter(is_active=True)
            field.queryset = rows
            field.show_council = several
            field.empty_label = "—"

    def scope(self) -> dict:
        return {
            k: self.cleaned_data.get(k) for k in ("unit", "office", "committee", "organization", "sector")
        }
