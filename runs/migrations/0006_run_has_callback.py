from django.db import migrations, models


def mark_runs_with_callbacks_and_children(apps, schema_editor):
    Run = apps.get_model("runs", "Run")
    CallbackDelivery = apps.get_model("runs", "CallbackDelivery")
    Run.objects.filter(
        pk__in=CallbackDelivery.objects.values("run_id")
    ).update(has_callback=True)
    # Runs that started child runs before descendant_count existed: mark them as having
    # some, since a run with none left at 0 is shown without looking for children.
    Run.objects.filter(
        descendant_count=0, pk__in=Run.objects.filter(parent_run__isnull=False).values("parent_run_id")
    ).update(descendant_count=1)


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0005_node_run_worker"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="has_callback",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_runs_with_callbacks_and_children, migrations.RunPython.noop),
    ]
