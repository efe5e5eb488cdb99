from django.db import migrations, models


def birth_registry_applies_for_baby_bonus(apps, schema_editor):
    # As services/catalogue.py says for a nation seeded before this field existed.
    apps.get_model("services", "Service").objects.filter(slug="baby-bonus").update(accepts_submissions_from=["REG"])


class Migration(migrations.Migration):

    dependencies = [
        ("services", "0004_application_business"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="accepts_submissions_from",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(birth_registry_applies_for_baby_bonus, migrations.RunPython.noop),
    ]
