from django.db import migrations


def forwards(apps, schema_editor):
    from neuroregen.instruments.builtin import install

    install(
        apps.get_model("instruments", "Instrument"),
        apps.get_model("instruments", "Field"),
        apps.get_model("instruments", "Score"),
        apps.get_model("instruments", "DomainMapping"),
    )


class Migration(migrations.Migration):
    dependencies = [("instruments", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
