"""Migration operations for what only PostgreSQL has: triggers, storage settings,
extension indexes. SQLite (the embedded default) skips them; it needs none of them
at its size, and the ORM already refuses what the triggers refuse.

Migrations import these, so a change here changes migrations already applied:
keep what they do on the database the same.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """``RunSQL`` that does nothing on any other database. Give ``sql`` and
    ``reverse_sql`` as lists: each item runs as one statement, unsplit (function
    bodies hold semicolons)."""

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, *args)


def append_only(table: str, rule: str) -> RunSQLOnPostgreSQL:
    """A trigger that refuses every UPDATE and DELETE of ``table``'s rows, even in raw
    SQL, naming ``rule`` (ORG-05: records are amended by appending)."""
    function, trigger = f"{table}_append_only", f"{table}_no_update"
    return RunSQLOnPostgreSQL(
        sql=[
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$\n"
            f"BEGIN\n    RAISE EXCEPTION '{table} is append-only ({rule})';\nEND;\n"
            "$$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table}\n"
            f"    FOR EACH ROW EXECUTE FUNCTION {function}()",
        ],
        reverse_sql=[
            f"DROP TRIGGER IF EXISTS {trigger} ON {table}",
            f"DROP FUNCTION IF EXISTS {function}()",
        ],
    )
