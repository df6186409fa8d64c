"""Database access: one engine per URL per process, schema managed by Alembic migrations."""

from ml.db.engine import make_engine, open_database, write_transaction
from ml.db.migrate import upgrade_to_head

__all__ = ["make_engine", "open_database", "upgrade_to_head", "write_transaction"]
