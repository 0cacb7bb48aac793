//! Monthly forecasts of a firm's cash flows. The model is MSTL (a yearly season, the Spring
//! Festival dip and the year-end peak, taken out by STL) with exponential smoothing of what
//! remains (ETS(A,N,N)), from the `augurs` crates; series too short for two seasons fall back
//! to the seasonal-naive forecast, the baseline every method here is measured against
//! (MASE, out of time: `bench/RESULTS.md`).
//!
//! A fixed ETS model rather than an automatic search: AutoETS tries six models per series and
//! costs thirty times as much (about 1 ms a series), while on cash-flow series it forecasts no
//! better; and augurs' ETS has no seasonal component, so the season has to come from MSTL.

use std::borrow::Cow;

use augurs_core::{Forecast, Predict};
use augurs_ets::model::{
    ErrorComponent, Model, ModelType, SeasonalComponent, TrendComponent, Unfit,
};
use augurs_mstl::{FittedTrendModel, MSTLModel, TrendModel};

/// Months in a season.
pub const PERIOD: usize = 12;

/// How to forecast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The value of the same month a year earlier: the baseline.
    SeasonalNaive,
    /// MSTL with period 12 and ETS(A,N,N) on the deseasonalised series.
    Mstl,
}

/// The next `h` values of `history` (monthly, oldest first; `NaN` = no data that month).
/// Gaps inside the series are interpolated; a series with no value at all forecasts `NaN`.
pub fn forecast(history: &[f64], h: usize, method: Method) -> Vec<f64> {
    let Some(y) = filled(history) else {
        return vec![f64::NAN; h];
    };
    match method {
        Method::SeasonalNaive => seasonal_naive(&y, h),
        Method::Mstl if y.len() >= 2 * PERIOD => {
            mstl(&y, h).unwrap_or_else(|| seasonal_naive(&y, h))
        }
        Method::Mstl => seasonal_naive(&y, h),
    }
}

/// The series from its first value on, inner gaps interpolated and trailing gaps carried.
fn filled(history: &[f64]) -> Option<Vec<f64>> {
    let start = history.iter().position(|v| v.is_finite())?;
    let mut y: Vec<f64> = history[start..].to_vec();
    let mut last = 0usize;
    for i in 1..y.len() {
        if y[i].is_finite() {
            if i > last + 1 {
                let (a, b) = (y[last], y[i]);
                for (k, v) in y.iter_mut().enumerate().take(i).skip(last + 1) {
                    *v = a + (b - a) * (k - last) as f64 / (i - last) as f64;
                }
            }
            last = i;
        }
    }
    let carry = y[last];
    y[last + 1..].iter_mut().for_each(|v| *v = carry);
    Some(y)
}

fn seasonal_naive(y: &[f64], h: usize) -> Vec<f64> {
    let n = y.len();
    (0..h)
        .map(|k| {
            if n >= PERIOD {
                y[n - PERIOD + k % PERIOD]
            } else {
                y[n - 1]
            }
        })
        .collect()
}

fn mstl(y: &[f64], h: usize) -> Option<Vec<f64>> {
    use augurs_core::Fit as _;
    let model = MSTLModel::new(vec![PERIOD], Level);
    let fitted = model.fit(y).ok()?;
    let forecast = fitted.predict(h, None).ok()?;
    forecast
        .point
        .iter()
        .all(|v| v.is_finite())
        .then_some(forecast.point)
}

/// ETS(A,N,N) as MSTL's model of what the season leaves: a smoothed level.
#[derive(Clone, Debug)]
struct Level;

#[derive(Debug)]
struct FittedLevel(Model);

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl TrendModel for Level {
    fn name(&self) -> Cow<'_, str> {
        Cow::Borrowed("ETS(A,N,N)")
    }

    fn fit(&self, y: &[f64]) -> Result<Box<dyn FittedTrendModel + Sync + Send>, BoxError> {
        let kind = ModelType {
            error: ErrorComponent::Additive,
            trend: TrendComponent::None,
            season: SeasonalComponent::None,
        };
        let model = Unfit::new(kind).max_iterations(200).fit(y)?;
        Ok(Box::new(FittedLevel(model)))
    }
}

impl FittedTrendModel for FittedLevel {
    fn predict_inplace(
        &self,
        h: usize,
        level: Option<f64>,
        forecast: &mut Forecast,
    ) -> Result<(), BoxError> {
        Ok(self.0.predict_inplace(h, level, forecast)?)
    }

    fn predict_in_sample_inplace(
        &self,
        level: Option<f64>,
        forecast: &mut Forecast,
    ) -> Result<(), BoxError> {
        Ok(self.0.predict_in_sample_inplace(level, forecast)?)
    }

    fn training_data_size(&self) -> Option<usize> {
        Some(self.0.training_data_size())
    }
}

/// Mean absolute scaled error of `forecasts` against `actuals`, scaled by the in-sample mean
/// absolute seasonal difference of `history` (Hyndman & Koehler 2006); `None` when the
/// history is too short or constant.
pub fn mase(history: &[f64], forecasts: &[f64], actuals: &[f64]) -> Option<f64> {
    let y = filled(history)?;
    if y.len() <= PERIOD {
        return None;
    }
    let scale: f64 = (PERIOD..y.len())
        .map(|i| (y[i] - y[i - PERIOD]).abs())
        .sum::<f64>()
        / (y.len() - PERIOD) as f64;
    let pairs: Vec<(f64, f64)> = forecasts
        .iter()
        .zip(actuals)
        .filter(|(f, a)| f.is_finite() && a.is_finite())
        .map(|(f, a)| (*f, *a))
        .collect();
    if scale <= 0.0 || pairs.is_empty() {
        return None;
    }
    Some(pairs.iter().map(|(f, a)| (f - a).abs()).sum::<f64>() / pairs.len() as f64 / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seasonal(n: usize, noise: f64) -> Vec<f64> {
        let season = [
            -25.0, -30.0, 0.0, 2.0, 3.0, 5.0, 4.0, 3.0, 6.0, 8.0, 12.0, 30.0,
        ];
        (0..n)
            .map(|t| 100.0 + season[t % 12] + noise * (((t * 7919) % 13) as f64 - 6.0))
            .collect()
    }

    #[test]
    fn mstl_keeps_the_season_and_beats_the_naive_forecast_on_noisy_data() {
        let y = seasonal(48, 1.0);
        let (history, actual) = y.split_at(36);
        let m = forecast(history, 3, Method::Mstl);
        let n = forecast(history, 3, Method::SeasonalNaive);
        assert!(
            m[0] < 90.0 && m[1] < 90.0,
            "the January and February dip: {m:?}"
        );
        let (em, en) = (
            mase(history, &m, &actual[..3]).unwrap(),
            mase(history, &n, &actual[..3]).unwrap(),
        );
        assert!(em <= en + 0.05, "MSTL {em} vs naive {en}");
    }

    #[test]
    fn gaps_short_series_and_empty_ones_are_handled() {
        let mut y = seasonal(30, 0.5);
        y[0] = f64::NAN;
        y[10] = f64::NAN;
        y[29] = f64::NAN;
        assert!(forecast(&y, 3, Method::Mstl).iter().all(|v| v.is_finite()));
        assert_eq!(forecast(&[5.0, 6.0], 2, Method::Mstl), vec![6.0, 6.0]);
        assert!(
            forecast(&[f64::NAN; 5], 2, Method::Mstl)
                .iter()
                .all(|v| v.is_nan())
        );
        let negative: Vec<f64> = seasonal(36, 1.0).iter().map(|v| v - 150.0).collect();
        assert!(
            forecast(&negative, 3, Method::Mstl)
                .iter()
                .all(|v| v.is_finite())
        );
    }
}
