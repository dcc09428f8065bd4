from django.db import migrations, models


def mark_limited_keys(apps, schema_editor):
    ApiKey = apps.get_model("accounts", "ApiKey")
    ApiKey.objects.filter(flows__isnull=False).update(flow_limited=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_credential"),
        ("flows", "0002_flow_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="flow_limited",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_limited_keys, migrations.RunPython.noop),
    ]
