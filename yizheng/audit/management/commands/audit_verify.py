"""manage.py audit_verify: recompute the audit trail's hash chain; exit status 1 when it is broken."""

from django.core.management.base import BaseCommand, CommandError

from yizheng.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (校验审计日志完整性). Exits 1 on the first break."

    def handle(self, *args, **options):
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"FAILED: {result.problem} ({result.checked} events verified before it)", returncode=1
            )
        self.stdout.write(f"OK: {result.checked} events verified")
