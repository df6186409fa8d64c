"""Analytics: technical indicators, risk metrics and the annualisation they share.

Other packages import from here only; the submodules are this package's own business.
"""

from typing import TYPE_CHECKING

from ml.lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "annualization": ("ASSET_CLASSES", "SUPPORTED_INTERVALS", "periods_per_year"),
    "indicators": (
        "REGISTRY", "IndicatorSpec", "compute", "compute_many", "get_spec", "parse_request",
        "parse_requests",
    ),
    "risk": ("LEVELS", "METHODS", "Drawdown", "RiskReport", "risk_report", "simple_returns"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from ml.analytics.annualization import (
        ASSET_CLASSES as ASSET_CLASSES,
        SUPPORTED_INTERVALS as SUPPORTED_INTERVALS,
        periods_per_year as periods_per_year,
    )
    from ml.analytics.indicators import (
        REGISTRY as REGISTRY,
        IndicatorSpec as IndicatorSpec,
        compute as compute,
        compute_many as compute_many,
        get_spec as get_spec,
        parse_request as parse_request,
        parse_requests as parse_requests,
    )
    from ml.analytics.risk import (
        LEVELS as LEVELS,
        METHODS as METHODS,
        Drawdown as Drawdown,
        RiskReport as RiskReport,
        risk_report as risk_report,
        simple_returns as simple_returns,
    )
