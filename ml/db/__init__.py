"""Database access: one engine per URL per process, schema managed by Alembic migrations.

Exports load on first use (ml/lazy.py): most commands never migrate, and Alembic alone costs
about 0.2 s of start-up.
"""

from typing import TYPE_CHECKING

from ml.lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "engine": ("make_engine", "write_transaction"),
    "migrate": ("open_database", "upgrade_to_head"),
    "schema": ("schema",),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from ml.db import schema as schema
    from ml.db.engine import make_engine as make_engine, write_transaction as write_transaction
    from ml.db.migrate import open_database as open_database, upgrade_to_head as upgrade_to_head
