"""manage.py api_token_issue <username> <name>: issue an API token for an integration and print its key once."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yizheng.core.errors import ApplicationError
from yizheng.org.models import User
from yizheng.org.services_tokens import api_token_issue


class Command(BaseCommand):
    help = "Issue an API token for an account and print its key once (only its SHA-256 is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="the account the integration acts as")
        parser.add_argument("name", help="what the token is for, e.g. 'OA 系统对接'")

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("账号 %(username)s 不存在") % {"username": username})
        try:
            token, key = api_token_issue(actor=None, user=user, name=name)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            _("已为账号 %(username)s 签发接口令牌“%(name)s”(前缀 %(prefix)s)。令牌只显示这一次,请妥善保存:")
            % {"username": username, "name": token.name, "prefix": token.prefix}
        )
        self.stdout.write(key)
