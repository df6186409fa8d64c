"""Component ids used across pages and callbacks, so a rename is one edit."""

NAVBAR_TOGGLER = "navbar-toggler"
NAVBAR_COLLAPSE = "navbar-collapse"
THEME_SWITCH = "theme-switch"
THEME_STORE = "theme-store"
JOBS_STORE = "jobs-store"
URL = "url"

# Accounts (issue 9): ids starting "account-" need a login, "admin-" an admin (webapp/auth.py).
LOGIN_FORM = "login-form"
ACCOUNT_TOKEN_NAME = "account-token-name"
ACCOUNT_TOKEN_CREATE = "account-token-create"
ACCOUNT_TOKEN_NEW = "account-token-new"
ACCOUNT_TOKENS = "account-tokens"
ACCOUNT_TOKEN_REVOKE = "account-token-revoke"  # pattern-matching type, index = token id
ACCOUNT_WATCHLIST = "account-watchlist"
ACCOUNT_WATCHLIST_SAVE = "account-watchlist-save"
ACCOUNT_WATCHLIST_STATUS = "account-watchlist-status"
