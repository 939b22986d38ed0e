"""Full-text search over the title, abstract and aims as last submitted (board review,
policy 3.1 non-duplication), on PostgreSQL only: a stored generated `search_vector` column
with a GIN index, which `review.selectors.pages.similar_applications` ranks with
ts_rank_cd. The model does not declare the column (Django would try to write it); SQLite
has none and the review app compares title words there instead."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'ALTER TABLE "applications_application" ADD COLUMN IF NOT EXISTS "search_vector" '
        "tsvector GENERATED ALWAYS AS (to_tsvector('english', \"search_document\")) STORED"
    )
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "application_search_vector" ON "applications_application" '
        'USING gin ("search_vector")'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "application_search_vector"')
    schema_editor.execute(
        'ALTER TABLE "applications_application" DROP COLUMN IF EXISTS "search_vector"'
    )


class Migration(migrations.Migration):
    dependencies = [("applications", "0005_review_states")]

    operations = [migrations.RunPython(create, drop)]
