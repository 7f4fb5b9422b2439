"""Schemathesis over /api/openapi.json: no server error and no undocumented status."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from neuroregen.api.services import api_token_create
from tests.interop.builders import small_world

EXAMPLES_PER_OPERATION = 60


@pytest.mark.slow
# Requests run as in a server: each may close its connection, so no enclosing transaction.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_generated_requests_get_documented_answers(
    settings_override, site_a, site_b, coordinator_a, coordinator_b
):
    import schemathesis
    from django.core.wsgi import get_wsgi_application

    world = small_world(site_a, site_b, coordinator_a, coordinator_b)
    _row, token = api_token_create(user=world.coordinator_a, name="fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    sent = [0]
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        _fuzz(operation, headers, sent, failures)
    assert not failures, "\n\n".join(failures)
    assert sent[0] >= 1000


def _fuzz(operation, headers: dict, sent: list[int], failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        sent[0] += 1
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, status_code_conformance]
        )

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # every failing operation is reported
        failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:800])


@pytest.fixture
def settings_override(settings):
    settings.ALLOWED_HOSTS = ["*"]
    return settings
