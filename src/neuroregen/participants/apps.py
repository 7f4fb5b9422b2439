from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "neuroregen.participants"
    label = "participants"
    verbose_name = _("Participants, identity, consent and enrolment")
