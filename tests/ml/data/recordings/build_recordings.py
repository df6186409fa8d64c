"""Write the Yahoo Finance recordings replayed by ``tests/ml/data/yahoo_replay.py``.

No internet was available when these were made, so they were not captured live: they are
built here, field by field, in the shape Yahoo's v8 chart API answers (``chart.result[0]``
with ``meta``, ``timestamp``, ``indicators.quote``/``adjclose``; ``chart.error`` on failure;
a plain-text 429 when rate-limited), including the cookie/crumb handshake yfinance performs
first. Prices are real where a real series ships with an installed package: GOOG daily bars
are ``backtesting.test.GOOG`` (Jan-Feb 2013) and EURUSD=X hourly bars are
``backtesting.test.EURUSD`` (Jan-Feb 2018; Yahoo reports forex volume as 0). BTC-USD hourly
bars are a seeded random walk (no BTC series ships with a package); the last one is still
forming at the recording time.

Run ``python tests/ml/data/recordings/build_recordings.py`` to rewrite them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
QUERY2 = "query2.finance.yahoo.com"
VALID_RANGES = ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]
JSON_HEADERS = {"content-type": "application/json;charset=utf-8"}


def epoch(ts: pd.Timestamp) -> int:
    return int(ts.tz_convert("UTC").timestamp())


def handshake() -> list[dict[str, Any]]:
    """What yfinance asks before any data: a cookie from fc.yahoo.com, then a crumb."""
    crumb = {"status": 200, "headers": {"content-type": "text/plain;charset=utf-8"},
             "text": "kZ9bQ1yX3Tn"}
    return [
        {"request": {"host": "fc.yahoo.com"},
         "response": {"status": 404, "headers": {"content-type": "text/html"},
                      "text": "<html><body>404 Not Found</body></html>"}},
        {"request": {"path": "/v1/test/getcrumb"}, "response": crumb},
        {"request": {"host": "guce.yahoo.com"},
         "response": {"status": 200, "headers": {"content-type": "text/html"},
                      "text": "<html><body>consent</body></html>"}},
    ]


def trading_period(day: pd.Timestamp, tz: str, start: str, end: str) -> dict[str, Any]:
    local = pd.Timestamp(day.date()).tz_localize(tz)
    opened = pd.Timestamp(f"{day.date()} {start}").tz_localize(tz)
    closed = pd.Timestamp(f"{day.date()} {end}").tz_localize(tz)
    return {"timezone": local.tzname(), "start": epoch(opened), "end": epoch(closed),
            "gmtoffset": int(local.utcoffset().total_seconds())}


def meta(symbol: str, info: dict[str, Any], last: pd.Timestamp, granularity: str,
         close: float, previous: float, range_: str = "") -> dict[str, Any]:
    tz = info["exchangeTimezoneName"]
    local = last.tz_convert(tz)
    session = trading_period(local, tz, *info["session"])
    return {
        "currency": info["currency"], "symbol": symbol,
        "exchangeName": info["exchangeName"], "fullExchangeName": info["fullExchangeName"],
        "instrumentType": info["instrumentType"], "firstTradeDate": info["firstTradeDate"],
        "regularMarketTime": epoch(last), "hasPrePostMarketData": info["prepost"],
        "gmtoffset": session["gmtoffset"], "timezone": session["timezone"],
        "exchangeTimezoneName": tz, "regularMarketPrice": close,
        "fiftyTwoWeekHigh": round(close * 1.2, 4), "fiftyTwoWeekLow": round(close * 0.8, 4),
        "regularMarketDayHigh": close, "regularMarketDayLow": close,
        "regularMarketVolume": 0, "longName": info["longName"],
        "shortName": info["shortName"], "chartPreviousClose": previous, "priceHint": 2,
        "currentTradingPeriod": {"pre": session, "regular": session, "post": session},
        "dataGranularity": granularity, "range": range_, "validRanges": VALID_RANGES,
    }


def chart(symbol: str, info: dict[str, Any], bars: pd.DataFrame, stamps: list[int],
          granularity: str, range_: str = "") -> dict[str, Any]:
    close = [round(float(v), 6) for v in bars["close"]]
    quote = {"open": [round(float(v), 6) for v in bars["open"]],
             "high": [round(float(v), 6) for v in bars["high"]],
             "low": [round(float(v), 6) for v in bars["low"]],
             "close": close, "volume": [int(v) for v in bars["volume"]]}
    last = pd.Timestamp(stamps[-1], unit="s", tz="UTC")
    result = {"meta": meta(symbol, info, last, granularity, close[-1],
                           close[-2] if len(close) > 1 else close[-1], range_),
              "timestamp": stamps,
              "indicators": {"quote": [quote], "adjclose": [{"adjclose": close}]}}
    return {"chart": {"result": [result], "error": None}}


def data_interactions(symbol: str, info: dict[str, Any], bars: pd.DataFrame,
                      stamps: list[int], interval: str) -> list[dict[str, Any]]:
    path = f"/v8/finance/chart/{symbol}"
    full = chart(symbol, info, bars, stamps, interval)
    tz_probe = chart(symbol, info, bars.iloc[-1:], stamps[-1:], "1d", "1d")
    items = [
        {"request": {"host": QUERY2, "path": path, "params": {"range": "1d", "interval": "1d"}},
         "response": {"status": 200, "headers": JSON_HEADERS, "json": tz_probe}},
    ]
    if interval != "1d":
        # Intraday answers carry each day's regular session (yfinance drops bars outside).
        tz = info["exchangeTimezoneName"]
        days = sorted({pd.Timestamp(t, unit="s", tz="UTC").tz_convert(tz).normalize()
                       for t in stamps})
        full["chart"]["result"][0]["meta"]["tradingPeriods"] = [
            [trading_period(d, tz, *info["session"])] for d in days]
    items.append({"request": {"host": QUERY2, "path": path, "params": {"interval": interval},
                              "has_params": ["period1", "period2"]},
                  "response": {"status": 200, "headers": JSON_HEADERS, "json": full},
                  "window": True})
    return items


def stock_goog() -> dict[str, Any]:
    from backtesting.test import GOOG

    frame = GOOG.loc["2013-01-02":"2013-03-01"].rename(columns=str.lower)
    # Yahoo stamps a US daily bar at the session open, 09:30 New York time.
    stamps = [epoch(pd.Timestamp(f"{d.date()} 09:30").tz_localize("America/New_York"))
              for d in frame.index]
    info = {"currency": "USD", "exchangeName": "NMS", "fullExchangeName": "NasdaqGS",
            "instrumentType": "EQUITY", "firstTradeDate": 1092922200,
            "exchangeTimezoneName": "America/New_York", "prepost": True,
            "longName": "Alphabet Inc.", "shortName": "Alphabet Inc.",
            "session": ("09:30", "16:00")}
    return {"symbol": "GOOG", "interval": "1d", "recorded_at": "2013-03-01T22:00:00Z",
            "interactions": handshake() + data_interactions("GOOG", info, frame, stamps, "1d")}


def forex_eurusd() -> dict[str, Any]:
    from backtesting.test import EURUSD

    frame = EURUSD.loc["2018-01-22":"2018-02-07"].rename(columns=str.lower).copy()
    frame["volume"] = 0  # Yahoo has no volume for currencies
    stamps = [epoch(pd.Timestamp(t).tz_localize("UTC")) for t in frame.index]
    info = {"currency": "USD", "exchangeName": "CCY", "fullExchangeName": "CCY",
            "instrumentType": "CURRENCY", "firstTradeDate": 1070236800,
            "exchangeTimezoneName": "Europe/London", "prepost": False,
            "longName": "EUR/USD", "shortName": "EUR/USD", "session": ("00:00", "23:59")}
    return {"symbol": "EURUSD=X", "interval": "1h", "recorded_at": "2018-02-07T16:20:00Z",
            "interactions": handshake() + data_interactions("EURUSD=X", info, frame, stamps,
                                                            "1h")}


def crypto_btcusd() -> dict[str, Any]:
    rng = np.random.default_rng(20240120)
    index = pd.date_range("2024-01-10 00:00", "2024-01-20 10:00", freq="1h", tz="UTC")
    close = 46_000 * np.exp(np.cumsum(rng.normal(0, 0.004, len(index))))
    open_ = np.concatenate([[46_000.0], close[:-1]])
    spread = np.abs(rng.normal(0, 0.002, len(index))) * close
    frame = pd.DataFrame({"open": open_, "high": np.maximum(open_, close) + spread,
                          "low": np.minimum(open_, close) - spread, "close": close,
                          "volume": rng.lognormal(19, 0.5, len(index)).round()}, index=index)
    stamps = [epoch(t) for t in index]
    info = {"currency": "USD", "exchangeName": "CCC", "fullExchangeName": "CCC",
            "instrumentType": "CRYPTOCURRENCY", "firstTradeDate": 1410912000,
            "exchangeTimezoneName": "UTC", "prepost": False, "longName": "Bitcoin USD",
            "shortName": "Bitcoin USD", "session": ("00:00", "23:59")}
    return {"symbol": "BTC-USD", "interval": "1h", "recorded_at": "2024-01-20T10:30:00Z",
            "interactions": handshake() + data_interactions("BTC-USD", info, frame, stamps,
                                                            "1h")}


def unknown_symbol() -> dict[str, Any]:
    chart_error = {"chart": {"result": None, "error": {
        "code": "Not Found", "description": "No data found, symbol may be delisted"}}}
    summary_error = {"quoteSummary": {"result": None, "error": {
        "code": "Not Found", "description": "Quote not found for symbol: NOSUCHTICKER"}}}
    return {"symbol": "NOSUCHTICKER", "interactions": handshake() + [
        {"request": {"path_prefix": "/v8/finance/chart/"},
         "response": {"status": 404, "headers": JSON_HEADERS, "json": chart_error}},
        {"request": {"path_prefix": "/v10/finance/quoteSummary/"},
         "response": {"status": 404, "headers": JSON_HEADERS, "json": summary_error}},
        {"request": {"path_prefix": "/v7/finance/quote"},
         "response": {"status": 200, "headers": JSON_HEADERS,
                      "json": {"quoteResponse": {"result": [], "error": None}}}},
    ]}


def delisted_empty() -> dict[str, Any]:
    """A delisted stock: Yahoo still knows its zone but answers every range with no bars."""
    info = {"currency": "USD", "exchangeName": "NMS", "fullExchangeName": "NasdaqGS",
            "instrumentType": "EQUITY", "firstTradeDate": 512839800,
            "exchangeTimezoneName": "America/New_York", "prepost": False,
            "longName": "SVB Financial Group", "shortName": "SVB Financial Group",
            "session": ("09:30", "16:00")}
    body_meta = meta("SIVB", info, pd.Timestamp("2023-03-09 21:00", tz="UTC"), "1d", 106.04,
                     267.83, "1d")
    empty = {"chart": {"result": [{"meta": body_meta,
                                   "indicators": {"quote": [{}], "adjclose": [{}]}}],
                       "error": None}}
    return {"symbol": "SIVB", "interactions": handshake() + [
        {"request": {"path_prefix": "/v8/finance/chart/"},
         "response": {"status": 200, "headers": JSON_HEADERS, "json": empty}},
    ]}


def rate_limited() -> dict[str, Any]:
    """Every Yahoo endpoint answering 429, as it does for a while after too many requests."""
    return {"interactions": [
        {"request": {"method": method},
         "response": {"status": 429, "headers": {"content-type": "text/plain;charset=utf-8"},
                      "text": "Too Many Requests\r\n"}}
        for method in ("GET", "POST")]}


def timeout() -> dict[str, Any]:
    """The network drops every packet: curl gives up after the timeout (curl error 28)."""
    return {"interactions": [
        {"request": {"method": method},
         "raise": {"type": "Timeout", "message": "Failed to perform, curl: (28) Operation "
                   "timed out after 10002 milliseconds with 0 bytes received."}}
        for method in ("GET", "POST")]}


def main() -> None:
    recordings = {"stock_goog_1d": stock_goog(), "forex_eurusd_1h": forex_eurusd(),
                  "crypto_btcusd_1h": crypto_btcusd(), "unknown_symbol": unknown_symbol(),
                  "delisted_empty": delisted_empty(), "rate_limited": rate_limited(),
                  "timeout": timeout()}
    for name, payload in recordings.items():
        payload = {"note": __doc__.split("\n\n")[1].replace("\n", " "), **payload}
        (HERE / f"{name}.json").write_text(json.dumps(payload, indent=1) + "\n")
        print(f"wrote {name}.json")


if __name__ == "__main__":
    main()
