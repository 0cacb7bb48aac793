//! The world the generated firms live in: industries and regions with their health effects,
//! lenders, the latent model's parameters, industry-wide shocks and the seasons. Documented
//! here, in one place, because every truth file is a function of them.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

/// An industry: GB/T 4754-2017 class (its name in the comment of each), share of firms,
/// effect on health, and whether its firms run equipment with telemetry.
pub struct Industry {
    pub code: &'static str,
    pub share: f64,
    pub effect: f64,
    pub equipment: bool,
}

const fn industry(code: &'static str, share: f64, effect: f64, equipment: bool) -> Industry {
    Industry {
        code,
        share,
        effect,
        equipment,
    }
}

/// The industries of the portfolio.
pub const INDUSTRIES: &[Industry] = &[
    industry("I6513", 0.22, 0.10, false),  // 应用软件开发
    industry("I6450", 0.10, 0.00, false),  // 互联网数据服务
    industry("C3973", 0.08, 0.05, true),   // 集成电路制造
    industry("C3562", 0.07, 0.00, true),   // 半导体器件专用设备制造
    industry("C2761", 0.08, -0.05, true),  // 生物药品制造
    industry("C3841", 0.07, -0.15, true),  // 锂离子电池制造
    industry("M7320", 0.12, 0.05, false),  // 工程和技术研究和试验发展
    industry("C3491", 0.08, -0.05, true),  // 工业机器人制造
    industry("C3990", 0.10, -0.20, true),  // 其他电子设备制造
    industry("M7512", 0.08, -0.10, false), // 新材料技术推广服务
];

/// Industries whose firms may hold carbon-emission allowances (energy-intensive
/// manufacturing) they can pledge.
pub const CARBON_INDUSTRIES: &[&str] = &["C3841", "C3990", "C2761", "C3973"];

/// A region: GB/T 2260 code, city, share of firms, effect on health.
pub struct Region {
    pub code: &'static str,
    pub city: &'static str,
    pub share: f64,
    pub effect: f64,
}

const fn region(code: &'static str, city: &'static str, share: f64, effect: f64) -> Region {
    Region {
        code,
        city,
        share,
        effect,
    }
}

/// The regions of the portfolio.
pub const REGIONS: &[Region] = &[
    region("350100", "福州", 0.20, 0.00),
    region("350200", "厦门", 0.15, 0.10),
    region("440300", "深圳", 0.18, 0.15),
    region("310000", "上海", 0.14, 0.10),
    region("330100", "杭州", 0.13, 0.05),
    region("320500", "苏州", 0.10, 0.05),
    region("510100", "成都", 0.10, -0.15),
];

/// Banks that lend to the firms.
pub const LENDERS: &[&str] = &[
    "工商银行",
    "建设银行",
    "农业银行",
    "中国银行",
    "兴业银行",
    "招商银行",
    "海峡银行",
];

/// Payment channels of bank transactions.
pub const CHANNELS: &[&str] = &["online", "counter", "pos", "transfer"];

/// Kinds of intellectual property and their shares of filings.
pub const IP_TYPES: &[(&str, f64)] = &[
    ("invention", 0.25),
    ("utility", 0.30),
    ("design", 0.10),
    ("software", 0.25),
    ("trademark", 0.10),
];

/// Persistence of latent health month to month (AR(1) coefficient).
pub const RHO: f64 = 0.92;
/// Standard deviation of a firm's own monthly health shock.
pub const SHOCK_SD: f64 = 0.28;
/// Standard deviation of an industry's monthly shock, shared by its firms.
pub const INDUSTRY_SHOCK_SD: f64 = 0.06;
/// Monthly default hazard: `sigmoid(ALPHA + BETA · health)`.
pub const ALPHA: f64 = -7.0;
/// See [`ALPHA`].
pub const BETA: f64 = -1.35;

/// The logistic function.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Monthly default hazard at latent health `h`.
pub fn hazard(h: f64) -> f64 {
    sigmoid(ALPHA + BETA * h)
}

/// Probability of default within `months`, from health `h` of a firm whose long-run level is
/// `level`: over the firm's and its industry's shocks still to come, not along the expected
/// path alone. The hazard is convex in health, so a firm that may drift down is riskier than
/// its expected path says; the path alone understates the PD a calibrated model estimates
/// (by about a third at 2%).
///
/// Health `k` months ahead is normal (mean `RHO^k·h + (1 − RHO^k)·level`, variance
/// `σ²(1 − RHO^2k)/(1 − RHO²)`); each month's expected hazard is integrated over it, and the
/// survival takes the months' covariance to second order (hazards of nearby months move
/// together). Within 2% of a Monte Carlo over 200,000 paths (see the tests).
pub fn pd_within(h: f64, level: f64, months: u32) -> f64 {
    let step_var = SHOCK_SD * SHOCK_SD + INDUSTRY_SHOCK_SD * INDUSTRY_SHOCK_SD;
    let n = months as usize;
    let mut expected = Vec::with_capacity(n);
    let mut variance = Vec::with_capacity(n);
    let mut var = 0.0;
    for k in 1..=months as i32 {
        var = RHO * RHO * var + step_var;
        let mean = RHO.powi(k) * h + (1.0 - RHO.powi(k)) * level;
        let sd = var.sqrt();
        expected.push(
            normal_nodes()
                .iter()
                .map(|(z, w)| w * hazard(mean + sd * z))
                .sum::<f64>(),
        );
        variance.push(var);
    }
    let mut survive: f64 = expected.iter().map(|a| 1.0 - a).product();
    for j in 0..n {
        let mut lag = 1.0;
        for k in j + 1..n {
            lag *= RHO;
            let cov_h = lag * variance[j];
            survive += expected[j] * expected[k] * ((BETA * BETA * cov_h).exp() - 1.0);
        }
    }
    (1.0 - survive).clamp(0.0, 1.0)
}

/// Nodes and weights of E[f(Z)], Z standard normal: the trapezoid rule on [-6, 6] in steps of
/// 0.4, which for smooth `f` converges faster than any power of the step.
fn normal_nodes() -> &'static [(f64, f64)] {
    static NODES: std::sync::LazyLock<Vec<(f64, f64)>> = std::sync::LazyLock::new(|| {
        let raw: Vec<(f64, f64)> = (-15..=15)
            .map(|i| {
                let z = f64::from(i) * 0.4;
                (z, (-0.5 * z * z).exp())
            })
            .collect();
        let total: f64 = raw.iter().map(|(_, w)| w).sum();
        raw.into_iter().map(|(z, w)| (z, w / total)).collect()
    });
    &NODES
}

/// Month-of-year effect on activity: the Spring Festival dip and the year-end peak.
pub fn season(month0: u32) -> f64 {
    [
        0.0, -0.28, 0.02, 0.0, 0.0, 0.03, 0.0, -0.03, 0.02, 0.0, 0.05, 0.14,
    ][month0 as usize % 12]
}

/// Industry-month shocks shared by all firms of an industry.
pub fn industry_shocks(seed: u64, months: u32) -> Vec<Vec<f64>> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_1d05);
    let normal = Normal::new(0.0, INDUSTRY_SHOCK_SD).expect("sd > 0");
    INDUSTRIES
        .iter()
        .map(|_| (0..months).map(|_| normal.sample(&mut rng)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Default within `months` by simulating the latent path `paths` times.
    fn monte_carlo(h: f64, level: f64, months: u32, paths: usize) -> f64 {
        let mut rng = StdRng::seed_from_u64(7);
        let firm = Normal::new(0.0, SHOCK_SD).expect("sd");
        let industry = Normal::new(0.0, INDUSTRY_SHOCK_SD).expect("sd");
        let mut defaults = 0;
        for _ in 0..paths {
            let mut x = h;
            for _ in 0..months {
                x = RHO * x
                    + (1.0 - RHO) * level
                    + industry.sample(&mut rng)
                    + firm.sample(&mut rng);
                if rand::Rng::random::<f64>(&mut rng) < hazard(x) {
                    defaults += 1;
                    break;
                }
            }
        }
        defaults as f64 / paths as f64
    }

    /// The PD along the expected path alone, which the truth used to report.
    fn along_expected_path(h: f64, level: f64, months: u32) -> f64 {
        let survive: f64 = (1..=months as i32)
            .map(|k| 1.0 - hazard(RHO.powi(k) * h + (1.0 - RHO.powi(k)) * level))
            .product();
        1.0 - survive
    }

    #[test]
    fn the_true_pd_is_the_default_frequency_of_the_latent_process() {
        let paths = 200_000;
        for (h, level) in [(-0.4, -0.2), (-1.3, -1.0), (-2.6, -2.0), (0.5, 0.8)] {
            let mc = monte_carlo(h, level, 12, paths);
            let pd = pd_within(h, level, 12);
            let sd = (mc * (1.0 - mc) / paths as f64).sqrt();
            assert!(
                (pd - mc).abs() < 0.02 * mc + 3.0 * sd,
                "h {h}, level {level}: pd_within {pd:.5}, Monte Carlo {mc:.5} (sd {sd:.5})"
            );
            // The expected path alone understates it: that is why the shocks are integrated.
            if (0.01..0.1).contains(&mc) {
                assert!(along_expected_path(h, level, 12) < 0.9 * mc);
            }
        }
    }
}
