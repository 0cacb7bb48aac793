//! Cash-flow forecasts and financing-need signals: seeing that an enterprise will need money
//! before it asks, with the amount, the months and the evidence.
//!
//! [`forecast`] forecasts monthly series (MSTL with exponential smoothing from the `augurs`
//! crates, the seasonal-naive forecast as the baseline and fallback); [`need_signal`] turns a
//! firm's series into a signal. Pure computation: no files, no SQL, no HTTP; the monthly series
//! come from `xinrong-indicators`, the platform stores and serves the signals.
//!
//! ```
//! use xinrong_signals::{Method, forecast};
//! let sales = [100.0, 70.0, 102.0, 101.0, 103.0, 104.0, 103.0, 101.0, 104.0, 105.0, 108.0, 125.0];
//! let next = forecast(&sales, 2, Method::SeasonalNaive);
//! assert_eq!(next, vec![100.0, 70.0]);
//! ```
#![deny(missing_docs)]

pub mod flows;
pub mod forecast;
pub mod need;

pub use flows::{FlowForecast, forecast_flows};
pub use forecast::{Method, forecast, mase};
pub use need::{
    Evidence, HORIZON, LARGE_ORDER, NeedSignal, SPIKE, Series, SignalKind, capped, fixed_costs,
    need_signal,
};
