"""Forms for visit pages. Rules live in services; forms parse and display."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.participants.forms import DATE, BootstrapMixin


class _Styled(BootstrapMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class DayZeroForm(_Styled):
    day_zero = forms.DateField(label=_("Day 0 (date of first administration)"), widget=DATE)
    reason = forms.CharField(
        label=_("Reason / source"), max_length=300, initial="first administration"
    )


class RescheduleForm(_Styled):
    scheduled_for = forms.DateField(label=_("New appointment date"), widget=DATE)
    reason = forms.CharField(label=_("Reason for rescheduling"), max_length=300)


class DoneForm(_Styled):
    done_on = forms.DateField(label=_("Done on"), widget=DATE)
    reason = forms.CharField(
        label=_("Note (e.g. why out of window)"), max_length=300, required=False
    )


class NotDoneForm(_Styled):
    reason = forms.CharField(label=_("Why the visit was not done"), max_length=300)


class CalendarFilterForm(_Styled):
    start = forms.DateField(label=_("From"), widget=DATE, required=False)
    site = forms.ChoiceField(label=_("Site"), required=False, choices=[("", _("Any site"))])

    def __init__(self, *args: Any, sites: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # self.fields is typed dict[str, Field]; "site" is the ChoiceField declared above
        self.fields["site"].choices = [("", _("Any site"))] + [  # type: ignore[attr-defined]
            (s.code, s.code) for s in sites
        ]
