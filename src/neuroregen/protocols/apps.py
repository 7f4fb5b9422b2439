from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "neuroregen.protocols"
    label = "protocols"

    def ready(self) -> None:
        from neuroregen.core.research_dates import set_day_zero_provider
        from neuroregen.protocols.selectors import current_assignment

        def day_zero(participant):
            assignment = current_assignment(participant)
            return assignment.day_zero if assignment is not None else None

        set_day_zero_provider(day_zero)
