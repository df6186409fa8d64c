"""Component ids used across pages and callbacks, so a rename is one edit."""

NAVBAR_TOGGLER = "navbar-toggler"
NAVBAR_COLLAPSE = "navbar-collapse"
THEME_SWITCH = "theme-switch"
THEME_STORE = "theme-store"
JOBS_STORE = "jobs-store"
URL = "url"
