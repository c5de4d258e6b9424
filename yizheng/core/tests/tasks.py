"""A task for the tests that prove the task worker started by `yizheng serve` runs queued tasks."""

from pathlib import Path

from django_tasks import task


@task()
def touch(path: str) -> None:
    Path(path).write_text("done", encoding="utf-8")
