"""Outward hooks: sign-ins, sign-outs and failed sign-ins go to the audit trail (等保: 安全审计); a saved or
deleted role assignment, council, unit, committee, organization or sector renews the cached roles
(`permissions.roles_of`), whichever code path saved it."""

import logging

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save
from django.dispatch import receiver

from yizheng.audit.services import event_record

from . import permissions
from .models import Committee, Council, Organization, RoleAssignment, Sector, Unit, User

logger = logging.getLogger(__name__)


@receiver(pre_save, sender=RoleAssignment)
def _role_moving(sender, instance, **kwargs):
    if instance.pk is not None and settings.SHARED_CACHE:  # moved to another account: both change
        before = RoleAssignment.objects.filter(pk=instance.pk).values_list("user_id", flat=True).first()
        if before is not None and before != instance.user_id:
            permissions.forget_roles_of(before)


@receiver([post_save, post_delete], sender=RoleAssignment)
def _role_changed(sender, instance, **kwargs):
    permissions.forget_roles_of(instance.user_id)


@receiver(post_save, sender=User)
def _account_created(sender, instance, created, **kwargs):
    if created:  # an id a restored database hands out again must not find another account's roles
        permissions.forget_roles_of(instance.pk)


@receiver([post_save, post_delete], sender=Council)
@receiver([post_save, post_delete], sender=Unit)
@receiver([post_save, post_delete], sender=Committee)
@receiver([post_save, post_delete], sender=Organization)
@receiver([post_save, post_delete], sender=Sector)
def _scope_changed(sender, created=False, **kwargs):
    if not created:  # a new row is in nobody's roles yet
        permissions.forget_everyones_roles()


@receiver(post_migrate)
def _migrated(sender, **kwargs):
    """After `migrate` (as after restoring a backup): what the cache holds may describe another database."""
    if sender.name == "yizheng.org":
        try:
            permissions.forget_everyones_roles()
        except Exception:  # no cache reachable while migrating: entries expire within ROLES_SECONDS
            logger.warning("could not renew the cached roles after migrate", exc_info=True)


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    event_record(actor=user, action="auth.login", target=user, council=user.council)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        event_record(actor=user, action="auth.logout", target=user, council=user.council)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=username).first()
    if user is not None:
        event_record(actor=None, action="auth.login_failed", target=user, council=user.council,
                     payload={"username": username})  # fmt: skip
