"""makemessages that also collects messages marked with `N_` (gettext_noop), used where a message is stored
untranslated (import problems, validators) and translated when shown."""

from django.core.management.commands.makemessages import Command as MakeMessagesCommand


class Command(MakeMessagesCommand):
    xgettext_options = [*MakeMessagesCommand.xgettext_options, "--keyword=N_"]
