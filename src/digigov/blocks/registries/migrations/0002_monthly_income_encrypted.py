"""Encrypt person.monthly_income (classified sensitive) and move national ID numbers to envelope encryption.

Existing national ID ciphertexts (version 1, bound to the column only) are re-encrypted under the primary
data key and bound to their row as well; incomes are encrypted the same way, then the plain column goes.
Not reversible: the plain incomes are gone once the last step has run.
"""

from django.db import migrations, models

BATCH = 5000


def encrypt_existing(apps, schema_editor):
    from digigov.platform.crypto import decrypt_many, encrypt_many, row_context

    person_model = apps.get_model("registries", "Person")
    last = 0
    while rows := list(
        person_model.objects.filter(pk__gt=last)
        .order_by("pk")
        .values_list("pk", "national_id_encrypted", "monthly_income")[:BATCH]
    ):
        numbers = decrypt_many(ciphertexts=[r[1] for r in rows], contexts=[b"person.national_id"] * len(rows))
        national_ids = encrypt_many(
            plaintexts=numbers, contexts=[row_context(context=b"person.national_id", row_id=r[0]) for r in rows]
        )
        incomes = encrypt_many(
            plaintexts=[str(r[2]) for r in rows],
            contexts=[row_context(context=b"person.monthly_income", row_id=r[0]) for r in rows],
        )
        person_model.objects.bulk_update(
            [
                person_model(pk=r[0], national_id_encrypted=nid, monthly_income_encrypted=income)
                for r, nid, income in zip(rows, national_ids, incomes, strict=True)
            ],
            ["national_id_encrypted", "monthly_income_encrypted"],
            batch_size=1000,
        )
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("registries", "0001_initial"),
        ("platform", "0002_data_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="monthly_income_encrypted",
            field=models.BinaryField(default=b""),
        ),
        migrations.RunPython(encrypt_existing),
        migrations.RemoveField(model_name="person", name="monthly_income"),
    ]
