"""Outward hooks: sign-ins, sign-outs and failed sign-ins go to the audit trail (等保: 安全审计); a saved or
deleted role assignment, council, unit, committee, organization or sector renews the cached roles
(`permissions.roles_of`), whichever code path saved it."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from yizheng.audit.services import event_record

from . import permissions
from .models import Committee, Council, Organization, RoleAssignment, Sector, Unit


@receiver([post_save, post_delete], sender=RoleAssignment)
def _role_changed(sender, instance, **kwargs):
    permissions.forget_roles_of(instance.user_id)


@receiver([post_save, post_delete], sender=Council)
@receiver([post_save, post_delete], sender=Unit)
@receiver([post_save, post_delete], sender=Committee)
@receiver([post_save, post_delete], sender=Organization)
@receiver([post_save, post_delete], sender=Sector)
def _scope_changed(sender, **kwargs):
    permissions.forget_everyones_roles()


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    event_record(actor=user, action="auth.login", target=user, council=user.council)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        event_record(actor=user, action="auth.logout", target=user, council=user.council)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    from .models import User

    username = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=username).first()
    if user is not None:
        event_record(actor=None, action="auth.login_failed", target=user, council=user.council,
                     payload={"username": username})  # fmt: skip
