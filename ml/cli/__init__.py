"""Subcommands of ``python -m ml``: each module defines ``register(subparsers)``.

A command handler returns an exit code; raising ``CliError`` prints one line and exits 2.
"""
