"""The audit chain's head row, and the database refusing changes to audit records.

PostgreSQL refuses UPDATE and DELETE of audit rows with a trigger. SQLite (the embedded
development database) refuses UPDATE; DELETE stays possible there because Django's test flush
empties tables with DELETE on SQLite (on PostgreSQL it uses TRUNCATE, which row triggers ignore).
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION quanban_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (% refused on core_auditrecord)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditrecord_append_only
    BEFORE UPDATE OR DELETE ON core_auditrecord
    FOR EACH ROW EXECUTE FUNCTION quanban_audit_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS core_auditrecord_append_only ON core_auditrecord;
DROP FUNCTION IF EXISTS quanban_audit_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER core_auditrecord_no_update BEFORE UPDATE ON core_auditrecord
BEGIN SELECT RAISE(ABORT, 'audit records are append-only (UPDATE refused on core_auditrecord)'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS core_auditrecord_no_update;"


def forward(apps, schema_editor):
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
