"""Foresight's domain layer: market data, indicators, risk, forecasting. No web, no Celery."""

__version__ = "0.1.0"
