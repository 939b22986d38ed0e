"""Trigram indexes for the people list's search (PostgreSQL only).

The search matches a fragment of the name or email address in any case, which Django
writes as UPPER(column::text) LIKE UPPER('%fragment%'). A GIN index of the trigrams of
exactly those expressions lets PostgreSQL find the matches without reading every user. The
pg_trgm extension ships with PostgreSQL; creating it needs a role allowed to (the
migrations' role, as for any extension). SQLite, the embedded default for trying the portal,
has no such index and scans its few rows.
"""

from django.db import migrations

INDEXES = {
    "user_full_name_trgm": 'UPPER("full_name"::text)',
    "user_email_trgm": 'UPPER("email"::text)',
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "portal_user" '
            f"USING gin ({expression} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("portal", "0010_notification_newest_index")]

    operations = [migrations.RunPython(create, drop)]
