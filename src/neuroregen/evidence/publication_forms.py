"""Forms of the "check a publication" page: a paper's percentages, means and participant flow.

Rows left empty are ignored; every problem in a filled row is reported beside its field, all
at once, and nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.stats import reporting_checks as rc

_NUMBER = {"class": "form-control form-control-sm"}


def _int(label: Any, minimum: int = 0) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=minimum,
        max_value=10_000_000,
        widget=forms.NumberInput(attrs=_NUMBER),
    )


def _text(label: Any, max_length: int, placeholder: str = "") -> forms.CharField:
    attrs = dict(_NUMBER)
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.CharField(
        label=label, required=False, max_length=max_length, widget=forms.TextInput(attrs=attrs)
    )


class _Row(forms.Form):
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return all(value in (None, "", False) for value in data.values())

    def _figure(self, name: str, percent: bool) -> rc.ReportedFigure | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            self.add_error(name, _("Enter the figure as printed in the paper."))
            return None
        try:
            figure = rc.parse_reported(text)
        except ValueError:
            message = (
                _("Enter one number as printed, for example 33.3 % or 60 %.")
                if percent
                else _("Enter one number as printed, for example 5.19 or −0.35.")
            )
            self.add_error(name, message)
            return None
        if percent and not 0 <= figure.value <= 100:
            self.add_error(name, _("A percentage lies between 0 and 100 %."))
            return None
        return figure


class PercentageRowForm(_Row):
    label = _text(_("What it counts"), 120)
    reported = _text(_("Reported percentage"), 20, "33.3 %")
    n = _int(_("n"), minimum=1)
    n_min = _int(_("or n at least"), minimum=1)
    n_max = _int(_("n at most"), minimum=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        data["figure"] = self._figure("reported", percent=True)
        n, lo, hi = data.get("n"), data.get("n_min"), data.get("n_max")
        if self.errors.get("n") or self.errors.get("n_min") or self.errors.get("n_max"):
            return data
        if n is not None and (lo is not None or hi is not None):
            self.add_error("n", _("Enter either n or a range of n, not both."))
        elif n is None and (lo is None or hi is None):
            self.add_error("n", _("Enter n, or a range of n when the paper does not state it."))
        elif n is None and lo is not None and hi is not None:
            if lo > hi:
                self.add_error("n_max", _("The end of the range is below its start."))
            elif hi - lo + 1 > rc.MAX_DENOMINATOR_RANGE:
                self.add_error(
                    "n_max",
                    _("A range may span at most %(max)s values of n.")
                    % {"max": rc.MAX_DENOMINATOR_RANGE},
                )
        return data


class MeanRowForm(_Row):
    label = _text(_("What it measures"), 120)
    reported = _text(_("Reported mean"), 20, "5.19")
    n = _int(_("n"), minimum=1)
    items = _int(_("Integer items per participant"), minimum=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        data["figure"] = self._figure("reported", percent=False)
        if data.get("n") is None and not self.errors.get("n"):
            self.add_error("n", _("Enter the number of participants."))
        if data.get("items") is None and not self.errors.get("items"):
            data["items"] = 1
        return data


class ArmRowForm(_Row):
    name = _text(_("Arm as named in the paper"), 80)
    registry_arms = _text(_("Registry arm codes (comma-separated)"), 200, "exo-in, exo-iv")
    randomised = _int(_("Randomised"))
    received = _int(_("Received intervention"))
    completed = _int(_("Completed"))
    analysed = _int(_("Analysed"))
    withdrawn = _int(_("Withdrawals reported"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        if not (data.get("name") or "").strip():
            self.add_error("name", _("Name the arm."))
        codes = [c.strip() for c in (data.get("registry_arms") or "").split(",") if c.strip()]
        data["registry_codes"] = tuple(codes)
        return data


class FlowTotalsForm(forms.Form):
    protocol = forms.TypedChoiceField(
        label=_("Compare with the registry's counts of protocol"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    assessed = _int(_("Assessed for eligibility"))
    excluded = _int(_("Excluded before randomisation"))
    randomised = _int(_("Randomised in total"))
    analysed = _int(_("Analysed in total"))
    analysed_completers = forms.BooleanField(
        label=_("The paper analysed completers only"), required=False
    )

    def __init__(self, *args: Any, protocols: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field: Any = self.fields["protocol"]
        choice_field.choices = [("", _("— none —"))] + [
            (p.pk, f"{p.code} v{p.version}") for p in protocols
        ]


def filled_rows(formset: forms.BaseFormSet) -> list[Any]:
    """The rows of a validated formset that hold anything."""
    return [form for form in formset.forms if not form.is_blank()]


PercentageFormSet = forms.formset_factory(PercentageRowForm, extra=6, max_num=60, absolute_max=60)
MeanFormSet = forms.formset_factory(MeanRowForm, extra=3, max_num=30, absolute_max=30)
ArmFormSet = forms.formset_factory(ArmRowForm, extra=4, max_num=12, absolute_max=12)
