"""Refresh the built-in definitions: CSHQ as 33 items with computed subscales and total, and
every built-in item and entered score marked required (a complete form answers or codes each).

Responses are untouched: earlier CSHQ forms keep the total they were entered with, in their
answers and stored scores.
"""

import importlib

from django.db import migrations


def forwards(apps, schema_editor):
    from neuroregen.instruments.builtin import install

    install(
        apps.get_model("instruments", "Instrument"),
        apps.get_model("instruments", "Field"),
        apps.get_model("instruments", "Score"),
        apps.get_model("instruments", "DomainMapping"),
    )
    # The re-installed definitions bypass simple-history like the first install did: give
    # each new row its history baseline, as 0004 did for the rows that existed then.
    baseline = importlib.import_module(
        "neuroregen.instruments.migrations.0004_definition_history"
    ).baseline
    baseline(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("instruments", "0005_response_status_verified")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
