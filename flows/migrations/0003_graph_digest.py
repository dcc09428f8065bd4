from django.db import migrations, models

from flows.graph import graph_digest


def fill_digests(apps, schema_editor):
    for name in ("Flow", "FlowVersion"):
        model = apps.get_model("flows", name)
        for row in model.objects.only("pk", "graph").iterator(chunk_size=200):
            model.objects.filter(pk=row.pk).update(graph_digest=graph_digest(row.graph))


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0002_flow_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="flow",
            name="graph_digest",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="flowversion",
            name="graph_digest",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop),
    ]
