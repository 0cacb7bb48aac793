//! Small numeric conventions every crate shares, so that a score or a missing value means the
//! same thing in the engine, the exports, the platform and the console.

/// Rounds to two decimals, half away from zero, and never yields `-0.0` (which would print
/// as "-0" in a report or a JSON answer).
pub fn round2(x: f64) -> f64 {
    let r = (x * 100.0).round() / 100.0;
    if r == 0.0 { 0.0 } else { r }
}

/// The code of a missing cell in a dictionary-coded text column: never a valid index into
/// the column's levels.
pub const MISSING_CODE: u32 = u32::MAX;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero_without_negative_zero() {
        assert_eq!(round2(1.005_000_1), 1.01);
        assert_eq!(round2(-2.345_000_1), -2.35);
        assert_eq!(round2(-0.001).to_string(), "0");
        assert_eq!(round2(0.0).to_string(), "0");
    }
}
