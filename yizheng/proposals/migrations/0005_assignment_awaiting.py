# Assignment.awaiting: whether the unit still owes its answer, kept by the services, so that a unit's inbox is
# an index lookup instead of a probe of every proposal being handled. Existing rows are filled in here with
# the same rule as services.assignments_refresh_awaiting (written out: a migration uses historical models).

from django.conf import settings
from django.db import migrations, models
from django.db.models import Case, Exists, OuterRef, Value, When

OPEN_HANDLING_STATES = ["handling", "rehandling"]


def fill(apps, schema_editor):
    Assignment = apps.get_model("proposals", "Assignment")
    Proposal = apps.get_model("proposals", "Proposal")
    Reply = apps.get_model("proposals", "Reply")
    approved = Reply.objects.filter(assignment=OuterRef("pk"), round=OuterRef("round"), status="approved")
    handled = Proposal.objects.filter(pk=OuterRef("proposal_id"), state__in=OPEN_HANDLING_STATES)
    Assignment.objects.filter(active=True).filter(Exists(handled)).update(
        awaiting=Case(
            When(role="co", opinion_at__isnull=True, then=Value(True)),
            When(role="co", then=Value(False)),
            When(Exists(approved), then=Value(False)),
            default=Value(True),
            output_field=models.BooleanField(),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_api_token_password_policy"),
        ("proposals", "0004_list_filter_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="awaiting",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                condition=models.Q(("awaiting", True)), fields=["unit"], name="assignment_awaiting_unit"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
