"""Component ids used across pages and callbacks, so a rename is one edit."""

NAVBAR_TOGGLER = "navbar-toggler"
NAVBAR_COLLAPSE = "navbar-collapse"
THEME_SWITCH = "theme-switch"
THEME_STORE = "theme-store"
JOBS_STORE = "jobs-store"
URL = "url"

# Accounts: ids starting "account-" need a login, "admin-" an admin (webapp/auth.py).
LOGIN_FORM = "login-form"
ACCOUNT_TOKEN_NAME = "account-token-name"
ACCOUNT_TOKEN_CREATE = "account-token-create"
ACCOUNT_TOKEN_NEW = "account-token-new"
ACCOUNT_TOKENS = "account-tokens"
ACCOUNT_TOKEN_REVOKE = "account-token-revoke"  # pattern-matching type, index = token id
ACCOUNT_WATCHLIST = "account-watchlist"
ACCOUNT_WATCHLIST_SAVE = "account-watchlist-save"
ACCOUNT_WATCHLIST_STATUS = "account-watchlist-status"

# Pages: figures are drawn through pattern-matching ids {"type": ..., "name": ...}.
FIG_DATA = "fig-data"
FIG_GRAPH = "fig-graph"
MARKET_SYMBOL = "market-symbol"
MARKET_SYMBOLS_LIST = "market-symbols-list"
MARKET_WATCH = "market-watch"  # pattern-matching type, symbol = the watchlist entry
MARKET_INTERVAL = "market-interval"
MARKET_IND_PICK = "market-ind-pick"
MARKET_IND_PARAMS = "market-ind-params"
MARKET_IND_PARAM = "market-ind-param"  # pattern-matching type, name = the parameter
MARKET_IND_ADD = "market-ind-add"
MARKET_IND_REMOVE = "market-ind-remove"  # pattern-matching type, token = the indicator
MARKET_IND_ACTIVE = "market-ind-active"
MARKET_IND_CHIPS = "market-ind-chips"
MARKET_IND_MESSAGE = "market-ind-message"
MARKET_BANNERS = "market-banners"
MARKET_DATA_INFO = "market-data-info"
MARKET_CARDS = "market-cards"
MARKET_PLAN = "market-plan"
MARKET_URL_SYNC = "market-url-sync"
MARKET_TABS = "market-tabs"
MARKET_MTF = "market-mtf"
MARKET_MTF_LINK = "market-mtf-link"
MARKET_FIT = "market-fit"
MARKET_REPLAY_TOGGLE = "market-replay-toggle"
MARKET_REPLAY_TIMER = "market-replay-timer"
MARKET_REPLAY_STATE = "market-replay-state"
MARKET_REPLAY_STATUS = "market-replay-status"
MARKET_LIVE_TIMER = "market-live-timer"
MARKET_LIVE = "market-live"
MARKET_LIVE_APPLIED = "market-live-applied"
FORECAST_SYMBOL = "forecast-symbol"
FORECAST_INTERVAL = "forecast-interval"
FORECAST_BODY = "forecast-body"
FORECAST_BACKTEST = "forecast-backtest"
FORECAST_JOB = "forecast-job"
FORECAST_JOB_TIMER = "forecast-job-timer"
FORECAST_JOB_STATUS = "forecast-job-status"
FORECAST_JOB_DONE = "forecast-job-done"
RISK_SYMBOL = "risk-symbol"
RISK_INTERVAL = "risk-interval"
RISK_COMPARE = "risk-compare"
RISK_BANNERS = "risk-banners"
RISK_CARDS = "risk-cards"
DATA_UPLOAD = "data-upload"
DATA_UPLOAD_NAME = "data-upload-name"
DATA_REPORT = "data-report"
DATA_CACHE_TABLE = "data-cache-table"
DATA_CACHE_REFRESH = "data-cache-refresh"

# Settings page: every id starts "admin-", so the guard refuses non-admins.
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

# Alerts: ids start "account-" so the auth guard lets only logged-in users call them.
BELL = "account-bell"
BELL_COUNT = "account-bell-count"
BELL_TIMER = "account-bell-timer"
BELL_SEEN = "account-bell-seen"
BELL_NOTIFY = "account-bell-notify"
BELL_NOTIFIED = "account-bell-notified"
BELL_TOAST = "account-bell-toast"
ALERTS_FIELD = "account-alerts-field"  # pattern-matching type, name = the form field
ALERTS_OPTION = "account-alerts-option"  # pattern-matching type, name = channels/one_shot...
ALERTS_FEEDBACK = "account-alerts-feedback"  # pattern-matching type, name = the form field
ALERTS_PARAM_ROW = "account-alerts-param-row"  # pattern-matching type, name = the form field
ALERTS_EDITING = "account-alerts-editing"
ALERTS_SAVE = "account-alerts-save"
ALERTS_RESET = "account-alerts-reset"
ALERTS_REPLAY = "account-alerts-replay"
ALERTS_REPLAY_SUMMARY = "account-alerts-replay-summary"
ALERTS_MESSAGE = "account-alerts-message"
ALERTS_RULES = "account-alerts-rules"
ALERTS_RULE_ACTION = "account-alerts-rule-action"  # pattern-matching type, action/index
ALERTS_EVENTS = "account-alerts-events"
ALERTS_EVENTS_TIMER = "account-alerts-events-timer"
ALERTS_MARK_READ = "account-alerts-mark-read"
ALERTS_CHANNEL_FIELD = "account-alerts-channel-field"  # pattern-matching type, name
ALERTS_CHANNEL_SAVE = "account-alerts-channel-save"  # pattern-matching type, channel
ALERTS_CHANNELS = "account-alerts-channels"
ALERTS_TEST = "account-alerts-test"  # pattern-matching type, channel
ALERTS_TEST_STATUS = "account-alerts-test-status"
ALERTS_PERMISSION = "account-alerts-permission"
ALERTS_PERMISSION_STATE = "account-alerts-permission-state"
