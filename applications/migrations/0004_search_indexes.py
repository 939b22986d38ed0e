"""Trigram indexes for the screening queue's search (PostgreSQL only), as migration
portal 0011 does for people: Django writes a fragment search as
UPPER(column::text) LIKE UPPER('%fragment%'), which a GIN index of the trigrams of exactly
that expression answers without reading every application. SQLite scans its few rows."""

from django.db import migrations

INDEXES = {
    "application_title_trgm": 'UPPER("title"::text)',
    "application_reference_trgm": 'UPPER("reference"::text)',
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "applications_application" '
            f"USING gin ({expression} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("applications", "0003_queue_index"), ("portal", "0011_people_search_trigram")]

    operations = [migrations.RunPython(create, drop)]
