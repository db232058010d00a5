"""The shop's database: connection, schema and migrations, undo journal, settings, backups, the one-program lock and where the files live."""
