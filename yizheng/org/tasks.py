"""Background work of the organisation app, run through Django's task API (django-tasks).

Tests use the immediate backend; the embedded and scaled modes use the database backend with a worker
(`manage.py db_worker`), so the web request that starts an import returns at once and the job page polls it.
"""

from django_tasks import task

from . import imports


@task()
def import_job_run_task(*, job_id: int, actor_id: int | None = None) -> None:
    """Check or import one uploaded Excel file (see `imports.import_job_run`)."""
    imports.import_job_run(job_id=job_id, actor_id=actor_id)
