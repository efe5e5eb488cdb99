from django.db import migrations

# The same refusal as audit_auditentry has (0002): links and seals are evidence, never rewritten.
FORBID = """
CREATE TRIGGER audit_chainlink_no_update_or_delete
  BEFORE UPDATE OR DELETE ON audit_chainlink
  FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
CREATE TRIGGER audit_seal_no_update_or_delete
  BEFORE UPDATE OR DELETE ON audit_seal
  FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""

ALLOW = """
DROP TRIGGER IF EXISTS audit_chainlink_no_update_or_delete ON audit_chainlink;
DROP TRIGGER IF EXISTS audit_seal_no_update_or_delete ON audit_seal;
"""


def forbid(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID)


def allow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_and_seals")]
    operations = [migrations.RunPython(forbid, allow)]
