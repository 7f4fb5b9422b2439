"""``makemessages`` that also extracts the statistics' texts.

``neuroregen.stats`` cannot import Django, so its user-facing sentences are
``stats.text.text("…", **params)`` (and bare templates marked ``stats.text.template("…")``)
rather than ``gettext`` calls. Without these keywords a catalogue refresh would mark every
one of their translations obsolete.
"""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [
        *makemessages.Command.xgettext_options,
        "--keyword=text",
        "--keyword=template",
    ]
