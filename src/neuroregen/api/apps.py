from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "neuroregen.api"
    label = "api"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, pre_save
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from neuroregen.api.signals import (
            revoke_tokens_on_authenticator_removal,
            revoke_tokens_on_credentials_withdrawn,
            revoke_tokens_on_password_change,
        )
        from neuroregen.core.signals import credentials_withdrawn

        pre_save.connect(
            revoke_tokens_on_password_change,
            sender=get_user_model(),
            dispatch_uid="api-revoke-tokens-on-password-change",
        )
        post_delete.connect(
            revoke_tokens_on_authenticator_removal,
            sender=TOTPDevice,
            dispatch_uid="api-revoke-tokens-on-authenticator-removal",
        )
        credentials_withdrawn.connect(
            revoke_tokens_on_credentials_withdrawn,
            dispatch_uid="api-revoke-tokens-on-credentials-withdrawn",
        )
