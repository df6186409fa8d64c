"""``python -m webapp``: create accounts and API tokens from the shell.

    python -m webapp create-admin USER [--password-stdin]
    python -m webapp create-user USER [--role viewer|admin] [--password-stdin]
    python -m webapp set-password USER [--password-stdin]
    python -m webapp create-token USER [--name NAME]

Passwords come from a prompt (typed twice, never echoed) or from the first line of standard
input; a token is printed once and only its hash is stored. User errors print one line on
stderr and exit 2.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence

from ml.settings import SettingsError
from webapp import accounts

logger = logging.getLogger(__name__)


class CliError(RuntimeError):
    """Something the user must fix; printed as one line, exit status 2."""


def _engine():  # type: ignore[no-untyped-def]
    from webapp import services

    return services.database()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CliError("--password-stdin: standard input is empty")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for a password: pass --password-stdin and pipe it")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise CliError("the two passwords differ")
    return first


def _login_url() -> str:
    from webapp.settings import WebSettings

    web = WebSettings()
    return f"http://{web.host}:{web.port}/login"


def cmd_create_user(args: argparse.Namespace) -> int:
    accounts.check_username(args.username)
    engine = _engine()
    if accounts.find_user(engine, args.username) is not None:
        raise CliError(f"user {args.username!r} already exists (use set-password to change "
                       "its password)")
    password = _read_password(args.password_stdin)
    user = accounts.create_user(engine, args.username, password, args.role)
    print(f"Created {user.role} {user.username!r}.")
    print(f"Log in at {_login_url()} with that username and password.")
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    engine = _engine()
    if accounts.find_user(engine, args.username) is None:
        raise CliError(f"no user named {args.username!r}")
    accounts.set_password(engine, args.username, _read_password(args.password_stdin))
    print(f"Password of {args.username!r} changed.")
    return 0


def cmd_create_token(args: argparse.Namespace) -> int:
    engine = _engine()
    user = accounts.find_user(engine, args.username)
    if user is None:
        raise CliError(f"no user named {args.username!r}: create it first with create-user "
                       "or create-admin")
    info, token = accounts.create_token(engine, user.id, args.name)
    print(token)
    print(f"API token {info.id} ({info.name!r}) for {user.username!r}: shown once, store it "
          "now. Send it as 'Authorization: Bearer <token>'.", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m webapp", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create an admin account")
    admin.add_argument("username")
    admin.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    admin.set_defaults(handler=cmd_create_user, role="admin")
    user = commands.add_parser("create-user", help="create an account (viewer by default)")
    user.add_argument("username")
    user.add_argument("--role", choices=accounts.ROLES, default="viewer")
    user.add_argument("--password-stdin", action="store_true")
    user.set_defaults(handler=cmd_create_user)
    password = commands.add_parser("set-password", help="change a user's password")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=cmd_set_password)
    token = commands.add_parser("create-token", help="create an API token (printed once)")
    token.add_argument("username")
    token.add_argument("--name", default="cli", help="a label to recognise the token by")
    token.set_defaults(handler=cmd_create_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (CliError, SettingsError, ValueError) as error:
        print(f"python -m webapp {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
