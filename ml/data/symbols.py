"""Symbol spelling: which provider serves it, and its asset class and currency when no
provider metadata says so.

Yahoo's spelling is the default (``AAPL``, ``BTC-USD``, ``EURUSD=X``, ``GC=F``, ``^GSPC``);
a prefix picks another provider: ``sample:NAME`` or ``csv:NAME``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from ml.data.errors import InvalidSymbolError

logger = logging.getLogger(__name__)

ASSET_CLASSES: tuple[str, ...] = ("stock", "crypto", "forex", "commodity", "index")

_YAHOO_SYMBOL = re.compile(r"^[A-Z0-9^][A-Z0-9.\-=^&]{0,31}$")
_CSV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,47}$")

# Quote currencies that mark "BASE-QUOTE" as a crypto pair (so "BRK-B" stays a stock).
_CRYPTO_QUOTES = frozenset({
    "USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "KRW", "CNY", "INR", "BRL", "USDT",
    "USDC", "BTC", "ETH",
})

# Yahoo exchange suffixes and the currency their prices are quoted in.
_SUFFIX_CURRENCY: dict[str, str] = {
    "L": "GBp", "DE": "EUR", "F": "EUR", "PA": "EUR", "AS": "EUR", "MI": "EUR", "MC": "EUR",
    "BR": "EUR", "LS": "EUR", "VI": "EUR", "HE": "EUR", "IR": "EUR", "TO": "CAD", "V": "CAD",
    "T": "JPY", "HK": "HKD", "AX": "AUD", "SW": "CHF", "NS": "INR", "BO": "INR", "SS": "CNY",
    "SZ": "CNY", "KS": "KRW", "SA": "BRL", "ST": "SEK", "CO": "DKK", "OL": "NOK", "SI": "SGD",
    "TW": "TWD", "MX": "MXN", "JO": "ZAc", "TA": "ILA", "NZ": "NZD",
}

# Yahoo ``instrumentType`` to our asset classes.
YAHOO_INSTRUMENT_TYPES: dict[str, str] = {
    "EQUITY": "stock", "ETF": "stock", "MUTUALFUND": "stock", "CRYPTOCURRENCY": "crypto",
    "CURRENCY": "forex", "FUTURE": "commodity", "INDEX": "index",
}


@dataclass(frozen=True)
class SymbolRef:
    """A parsed symbol: ``symbol`` is the canonical spelling used as the cache key."""

    symbol: str
    provider: str  # "yahoo", "sample" or "csv"
    key: str  # the provider's own name for it


@dataclass(frozen=True)
class SymbolInfo:
    """What we know about a symbol; ``metadata_source`` says how we know it."""

    symbol: str
    provider: str
    asset_class: str
    currency: str
    name: str | None = None
    exchange_timezone: str | None = None
    metadata_source: str = "spelling"  # "provider" or "spelling"


def parse_symbol(text: str) -> SymbolRef:
    """Split ``text`` into provider and key, and spell it canonically."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidSymbolError(f"empty symbol {text!r}: give a ticker such as AAPL, "
                                 "BTC-USD, EURUSD=X, or sample:SPX")
    raw = text.strip()
    prefix, sep, rest = raw.partition(":")
    if sep:
        provider = prefix.lower()
        if provider == "sample":
            key = rest.strip().upper()
            return SymbolRef(f"sample:{key}", "sample", key)
        if provider == "csv":
            key = rest.strip()
            if not _CSV_NAME.match(key):
                raise InvalidSymbolError(
                    f"bad imported-file name {key!r} in {raw!r}: use letters, digits, '_', "
                    "'.' or '-' (at most 48)")
            return SymbolRef(f"csv:{key}", "csv", key)
        raise InvalidSymbolError(f"unknown provider prefix {prefix!r} in {raw!r}: use "
                                 "'sample:' or 'csv:', or a Yahoo ticker without a prefix")
    key = raw.upper()
    if not _YAHOO_SYMBOL.match(key):
        raise InvalidSymbolError(f"{raw!r} is not a Yahoo ticker: examples are AAPL, "
                                 "BTC-USD, EURUSD=X, GC=F, ^GSPC")
    return SymbolRef(key, "yahoo", key)


def guess_from_spelling(symbol: str) -> tuple[str, str]:
    """Asset class and currency of a Yahoo-spelled symbol, from its spelling alone."""
    symbol = symbol.upper()
    if symbol.endswith("=X"):
        pair = symbol[:-2]
        # "EURUSD=X" is EUR priced in USD; "JPY=X" is USD/JPY, priced in JPY.
        return "forex", pair[-3:] if len(pair) >= 3 else "USD"
    if symbol.endswith("=F"):
        return "commodity", "USD"
    if symbol.startswith("^"):
        return "index", "USD"
    base, dash, quote = symbol.rpartition("-")
    if dash and base and quote in _CRYPTO_QUOTES:
        return "crypto", quote
    _, dot, suffix = symbol.rpartition(".")
    if dot and suffix in _SUFFIX_CURRENCY:
        return "stock", _SUFFIX_CURRENCY[suffix]
    return "stock", "USD"


def guess_from_pair_text(text: str) -> tuple[str, str] | None:
    """Asset class and currency from a pair written in a file (``BTCUSD``, ``BTC/USD``)."""
    cleaned = re.sub(r"[^A-Z]", "", text.upper())
    for quote in sorted(_CRYPTO_QUOTES, key=len, reverse=True):
        base = cleaned[: -len(quote)]
        if cleaned.endswith(quote) and base in {"BTC", "ETH", "LTC", "XRP", "BCH", "SOL",
                                                 "ADA", "DOGE", "DOT", "XLM", "EOS", "ETC"}:
            return "crypto", quote
    return None
