"""Backups: a consistent snapshot of the database and of every stored object, with a
manifest of row counts and checksums; restore into an empty deployment; a daily run in
the scheduler role."""
