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

# Settings page (issue 9): every id starts "admin-", so the guard refuses non-admins.
ADMIN_TABS = "admin-tabs"
ADMIN_TRAIN_SYMBOLS = "admin-train-symbols"
ADMIN_TRAIN_INTERVAL = "admin-train-interval"
ADMIN_TRAIN_KIND = "admin-train-kind"
ADMIN_TRAIN_TARGET = "admin-train-target"
ADMIN_TRAIN_PARAM = "admin-train-param"  # pattern-matching type, name = the hyperparameter
ADMIN_TRAIN_SUBMIT = "admin-train-submit"
ADMIN_TRAIN_STALE = "admin-train-stale"
ADMIN_TRAIN_RESULT = "admin-train-result"
ADMIN_JOBS_TIMER = "admin-jobs-timer"
ADMIN_JOBS_TABLE = "admin-jobs-table"
ADMIN_JOBS_MESSAGE = "admin-jobs-message"
ADMIN_JOB_CANCEL = "admin-job-cancel"  # pattern-matching type, index = job id
ADMIN_JOB_SHOW = "admin-job-show"  # pattern-matching type, index = job id
ADMIN_JOB_SELECTED = "admin-job-selected"
ADMIN_JOB_CURVE = "admin-job-curve"
ADMIN_JOB_DETAIL = "admin-job-detail"
ADMIN_JOB_GRAPH = "admin-job-graph"
ADMIN_MODELS_PAIR = "admin-models-pair"
ADMIN_MODELS_TABLE = "admin-models-table"
ADMIN_MODELS_MESSAGE = "admin-models-message"
ADMIN_MODEL_PROMOTE = "admin-model-promote"  # pattern-matching type, index = version id
ADMIN_MODEL_ROLLBACK = "admin-model-rollback"
ADMIN_CONFIRM = "admin-confirm"
ADMIN_CONFIRM_ACTION = "admin-confirm-action"
ADMIN_SCHEDULE_FIELD = "admin-schedule-field"  # pattern-matching type, name/key = entry/field
ADMIN_POLICY_FIELD = "admin-policy-field"  # pattern-matching type, name = policy field
ADMIN_SETTINGS_SAVE = "admin-settings-save"
ADMIN_SETTINGS_MESSAGE = "admin-settings-message"
ADMIN_HEALTH_TIMER = "admin-health-timer"
ADMIN_HEALTH_BODY = "admin-health-body"
