"""Storage of accounts: users with roles, hashed API tokens, watchlists.

Passwords are kept as werkzeug hashes (scrypt) and tokens as their SHA-256, so a copy of the
database gives away neither. Every function takes the engine, so the CLI, the web process and
the tests share one code path.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ml.db import write_transaction
from ml.db.schema import api_tokens, users, watchlists

logger = logging.getLogger(__name__)

ROLES: tuple[str, ...] = ("viewer", "admin")
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$")
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
TOKEN_PREFIX = "fst_"
TOKEN_NAME_MAX = 64
WATCHLIST_MAX = 200
# ``last_used_at`` is written at most this often per token: a write per API request would
# serialise every reader behind SQLite's single writer.
TOKEN_TOUCH_INTERVAL = timedelta(seconds=60)
# Hash compared against when the username is unknown, so a wrong name costs as long as a wrong
# password and response times do not reveal which usernames exist.
_DUMMY_HASH = generate_password_hash("not-a-password-" + "x" * 16)


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message names the bad value."""


@dataclass(frozen=True)
class User:
    """A logged-in person; has the attributes Flask-Login expects of a user object."""

    id: int
    username: str
    role: str
    created_at: datetime
    last_login: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    # Flask-Login's protocol.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed on the account page (never the token itself)."""

    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def check_username(username: object) -> str:
    if not isinstance(username, str) or not USERNAME_PATTERN.match(username):
        raise AccountError(f"username {username!r} must be 3-64 characters: letters, digits "
                           "and _ . @ - (starting with a letter or digit)")
    return username


def check_password(password: object) -> str:
    if not isinstance(password, str) or not PASSWORD_MIN_LENGTH <= len(password) \
            <= PASSWORD_MAX_LENGTH:
        raise AccountError(f"password must be {PASSWORD_MIN_LENGTH}-{PASSWORD_MAX_LENGTH} "
                           "characters long")
    if password.strip() != password:
        raise AccountError("password must not start or end with whitespace")
    return password


def check_role(role: object) -> str:
    if role not in ROLES:
        raise AccountError(f"role {role!r} must be one of {', '.join(ROLES)}")
    return str(role)


def _user(row: object) -> User:
    return User(id=row.id, username=row.username, role=row.role,  # type: ignore[attr-defined]
                created_at=_utc(row.created_at),  # type: ignore[attr-defined,arg-type]
                last_login=_utc(row.last_login))  # type: ignore[attr-defined]


_USER_COLUMNS = (users.c.id, users.c.username, users.c.role, users.c.created_at,
                 users.c.last_login)


# --- users ------------------------------------------------------------------------------------

def create_user(engine: Engine, username: str, password: str, role: str = "viewer") -> User:
    """Add a user; AccountError when the name is taken or a value is not acceptable."""
    check_username(username)
    check_password(password)
    check_role(role)
    values = {"username": username, "password_hash": generate_password_hash(password),
              "role": role, "created_at": _now(), "last_login": None}
    try:
        with write_transaction(engine) as connection:
            user_id = connection.execute(insert(users).values(**values)).inserted_primary_key[0]
    except IntegrityError:
        raise AccountError(f"username {username!r} is already taken") from None
    logger.info("created %s %r", role, username)
    return User(id=int(user_id), username=username, role=role, created_at=values["created_at"])


def set_password(engine: Engine, username: str, password: str) -> None:
    check_password(password)
    with write_transaction(engine) as connection:
        changed = connection.execute(
            update(users).where(users.c.username == username)
            .values(password_hash=generate_password_hash(password))).rowcount
    if not changed:
        raise AccountError(f"no user named {username!r}")


def set_role(engine: Engine, username: str, role: str) -> None:
    check_role(role)
    with write_transaction(engine) as connection:
        changed = connection.execute(
            update(users).where(users.c.username == username).values(role=role)).rowcount
    if not changed:
        raise AccountError(f"no user named {username!r}")


def get_user(engine: Engine, user_id: int) -> User | None:
    with engine.connect() as connection:
        row = connection.execute(select(*_USER_COLUMNS).where(users.c.id == user_id)).first()
    return None if row is None else _user(row)


def find_user(engine: Engine, username: str) -> User | None:
    with engine.connect() as connection:
        row = connection.execute(
            select(*_USER_COLUMNS).where(users.c.username == username)).first()
    return None if row is None else _user(row)


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as connection:
        rows = connection.execute(select(*_USER_COLUMNS).order_by(users.c.username)).all()
    return [_user(row) for row in rows]


def count_users(engine: Engine, role: str | None = None) -> int:
    query = select(func.count()).select_from(users)
    if role is not None:
        query = query.where(users.c.role == role)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The user when the password matches (and records the login), else None."""
    if not isinstance(username, str) or not isinstance(password, str) \
            or len(password) > PASSWORD_MAX_LENGTH or len(username) > 64:
        return None
    with engine.connect() as connection:
        row = connection.execute(
            select(*_USER_COLUMNS, users.c.password_hash)
            .where(users.c.username == username)).first()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(row.password_hash, password):
        return None
    now = _now()
    with write_transaction(engine) as connection:
        connection.execute(update(users).where(users.c.id == row.id).values(last_login=now))
    user = _user(row)
    return User(id=user.id, username=user.username, role=user.role,
                created_at=user.created_at, last_login=now)


# --- API tokens -------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: Engine, user_id: int, name: str) -> tuple[TokenInfo, str]:
    """A new token for ``user_id``: its listing and the token itself, which is never stored."""
    name = (name or "").strip()
    if not 1 <= len(name) <= TOKEN_NAME_MAX:
        raise AccountError(f"token name must be 1-{TOKEN_NAME_MAX} characters; got {name!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = _now()
    try:
        with write_transaction(engine) as connection:
            token_id = connection.execute(insert(api_tokens).values(
                user_id=user_id, token_hash=hash_token(token), name=name, created_at=created,
                last_used_at=None, revoked=False)).inserted_primary_key[0]
    except IntegrityError:
        raise AccountError(f"no user with id {user_id}") from None
    info = TokenInfo(id=int(token_id), user_id=user_id, name=name, created_at=created,
                     last_used_at=None, revoked=False)
    return info, token


def list_tokens(engine: Engine, user_id: int) -> list[TokenInfo]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(api_tokens.c.id, api_tokens.c.user_id, api_tokens.c.name,
                   api_tokens.c.created_at, api_tokens.c.last_used_at, api_tokens.c.revoked)
            .where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id)).all()
    return [TokenInfo(id=r.id, user_id=r.user_id, name=r.name, created_at=_utc(r.created_at),
                      last_used_at=_utc(r.last_used_at), revoked=bool(r.revoked))
            for r in rows]


def revoke_token(engine: Engine, user_id: int, token_id: int) -> bool:
    """Revoke one of ``user_id``'s tokens; False when that user has no such token."""
    with write_transaction(engine) as connection:
        changed = connection.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id)
            .values(revoked=True)).rowcount
    return bool(changed)


def user_for_token(engine: Engine, token: str) -> User | None:
    """The owner of a valid, unrevoked token, else None; notes when it was last used."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with engine.connect() as connection:
        row = connection.execute(
            select(*_USER_COLUMNS, api_tokens.c.id.label("token_id"),
                   api_tokens.c.last_used_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == hash_token(token),
                   api_tokens.c.revoked.is_(False))).first()
    if row is None:
        return None
    now = _now()
    last_used = _utc(row.last_used_at)
    if last_used is None or now - last_used > TOKEN_TOUCH_INTERVAL:
        with write_transaction(engine) as connection:
            connection.execute(update(api_tokens).where(api_tokens.c.id == row.token_id)
                               .values(last_used_at=now))
    return _user(row)


# --- watchlists -------------------------------------------------------------------------------

def get_watchlist(engine: Engine, user_id: int) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(watchlists.c.symbol).where(watchlists.c.user_id == user_id)
            .order_by(watchlists.c.position)).all()
    return [row.symbol for row in rows]


def set_watchlist(engine: Engine, user_id: int, symbols: list[str]) -> list[str]:
    """Replace the user's watchlist (duplicates dropped, order kept)."""
    ordered = list(dict.fromkeys(s.strip() for s in symbols if s and s.strip()))
    if len(ordered) > WATCHLIST_MAX:
        raise AccountError(f"a watchlist holds at most {WATCHLIST_MAX} symbols; "
                           f"got {len(ordered)}")
    for symbol in ordered:
        if len(symbol) > 64:
            raise AccountError(f"symbol {symbol[:70]!r} is longer than 64 characters")
    with write_transaction(engine) as connection:
        connection.execute(delete(watchlists).where(watchlists.c.user_id == user_id))
        if ordered:
            connection.execute(insert(watchlists), [
                {"user_id": user_id, "symbol": s, "position": i} for i, s in enumerate(ordered)])
    return ordered


def watched_symbols(engine: Engine) -> list[str]:
    """Every symbol on anybody's watchlist (what the workers keep forecasts warm for)."""
    with engine.connect() as connection:
        rows = connection.execute(select(watchlists.c.symbol).distinct()
                                  .order_by(watchlists.c.symbol)).all()
    return [row.symbol for row in rows]


def new_password() -> str:
    """A random password for first-run admin creation."""
    return secrets.token_urlsafe(15)
