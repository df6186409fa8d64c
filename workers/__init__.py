"""Celery workers: the long work of ``ml`` runs here, never in a web request."""
