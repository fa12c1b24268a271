"""`forgetlab user ...`: accounts from the command line, for the first instructor of a lab that asks everyone
to log in (distributed, or `serve --public`) and for API tokens for scripts and CI.

    forgetlab user create ada --role instructor      # asks for the password (or --password-stdin)
    forgetlab user token ada --name ci                # prints a new API token (shown once)
    forgetlab user password local                     # a password for the embedded lab's own user (its admin)
    forgetlab user role ada admin                     # make ada an admin: the first one of an existing lab
    forgetlab user list

They open the database the way `forgetlab serve` does (DATABASE_URL, or the SQLite file under
--data-dir / FORGETLAB_DATA_DIR) and migrate it first. Torch-free, like every web command.
"""

from __future__ import annotations

import sys

from forgetlab.core.cli import UsageError


def _sessions(data_dir: str | None):
    from forgetlab.core.settings import Settings
    from forgetlab.core.store.db import migrate, session_factory

    settings = Settings(data_dir=data_dir) if data_dir else Settings()
    migrate(settings.sqlalchemy_url)
    return session_factory(settings.sqlalchemy_url)


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("password (8 characters or more): ")
    if getpass.getpass("again: ") != first:
        raise UsageError("the two passwords differ")
    return first


def _user(session, name: str):
    from forgetlab.core.store import accounts

    user = accounts.user_by_name(session, name)
    if user is None:
        raise UsageError(f"no user {name!r}; `forgetlab user list` shows them")
    return user


def cmd_create(args) -> None:
    from forgetlab.core.store import accounts

    with _sessions(args.data_dir)() as session:
        user = accounts.create_user(session, name=args.name, password=_password(args), role=args.role)
        print(f"created {user.name} ({user.role})")


def cmd_token(args) -> None:
    from forgetlab.core.store import accounts

    with _sessions(args.data_dir)() as session:
        _, token = accounts.create_token(session, user=_user(session, args.user), name=args.name)
        print(token)  # alone on stdout, so `TOKEN=$(forgetlab user token ada)` works


def cmd_password(args) -> None:
    from forgetlab.core.store import accounts

    with _sessions(args.data_dir)() as session:
        user = accounts.local_user(session) if args.user == accounts.LOCAL_USER else _user(session, args.user)
        accounts.set_password(session, user=user, password=_password(args))
        print(f"password set for {user.name}; their other sessions were logged out")


def cmd_role(args) -> None:
    from forgetlab.core.store import accounts

    with _sessions(args.data_dir)() as session:
        user = accounts.update_user(session, user=_user(session, args.user), role=args.role)
        print(f"{user.name} is now {'an' if user.role[0] in 'aeiou' else 'a'} {user.role}")


def cmd_list(args) -> None:
    from forgetlab.core.store import accounts

    with _sessions(args.data_dir)() as session:
        for user in accounts.list_users(session):
            print(f"{user.id:>4}  {user.name:<32} {user.role:<10} {'disabled' if user.disabled else 'active'}")


def register(sub) -> None:
    from forgetlab.core.store.models import ROLES

    p = sub.add_parser("user", help="accounts: create a user, mint an API token, set a password or a role, list "
                                    "users")
    users = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")

    def common(q):
        q.add_argument("--data-dir", help="the lab's data directory (default: $FORGETLAB_DATA_DIR or ./data)")

    q = users.add_parser("create", help="create an account (the first instructor of a lab that asks for log-in)")
    q.add_argument("name")
    q.add_argument("--role", choices=ROLES, default="student")
    q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    common(q)
    q.set_defaults(func=cmd_create)

    q = users.add_parser("token", help="print a new API token of a user (for the CLI, scripts and CI)")
    q.add_argument("user")
    q.add_argument("--name", default="cli", help="what the token is for (shown on the account page)")
    common(q)
    q.set_defaults(func=cmd_token)

    q = users.add_parser("password", help="set a user's password (`local`: the embedded lab's own instructor)")
    q.add_argument("user")
    q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    common(q)
    q.set_defaults(func=cmd_password)

    q = users.add_parser("role", help="set a user's role (the way to make a lab's first admin)")
    q.add_argument("user")
    q.add_argument("role", choices=ROLES)
    common(q)
    q.set_defaults(func=cmd_role)

    q = users.add_parser("list", help="list the accounts")
    common(q)
    q.set_defaults(func=cmd_list)
