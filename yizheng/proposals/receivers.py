"""Signal receivers of the proposals app: keep the list filter's cached options in step with their rows."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from yizheng.org.models import Unit

from . import selectors
from .models import Category, Proposal

# A proposal joins the year filter when it is submitted (or moved to another year or council).
LISTED_FIELDS = frozenset({"submitted_at", "year", "council", "council_id"})


def _forget() -> None:
    """Now, and again once the transaction commits: a list page read in between (an import of many units in one
    transaction, say) would otherwise cache the options without the new rows under the new generation."""
    selectors.forget_filter_choices()
    transaction.on_commit(selectors.forget_filter_choices)


@receiver(post_save, sender=Proposal, dispatch_uid="proposals.filter_choices.proposal")
def proposal_saved(sender, instance: Proposal, update_fields=None, **kwargs) -> None:
    if instance.submitted_at is None:
        return
    if update_fields is None or LISTED_FIELDS & set(update_fields):
        _forget()


@receiver(post_save, sender=Category, dispatch_uid="proposals.filter_choices.category_saved")
@receiver(post_delete, sender=Category, dispatch_uid="proposals.filter_choices.category_deleted")
@receiver(post_save, sender=Unit, dispatch_uid="proposals.filter_choices.unit_saved")
@receiver(post_delete, sender=Unit, dispatch_uid="proposals.filter_choices.unit_deleted")
def choices_changed(sender, **kwargs) -> None:
    _forget()
