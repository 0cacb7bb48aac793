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
/// `level`, along the expected latent path.
pub fn pd_within(h: f64, level: f64, months: u32) -> f64 {
    let mut survive = 1.0;
    for k in 1..=months as i32 {
        let mean = RHO.powi(k) * h + (1.0 - RHO.powi(k)) * level;
        survive *= 1.0 - hazard(mean);
    }
    1.0 - survive
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
