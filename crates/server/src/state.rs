//! What every handler shares.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use metrics_exporter_prometheus::PrometheusHandle;
use xinrong_platform::Platform;

use crate::throttle::Throttle;

/// Shared state of the server.
pub struct AppState {
    /// The platform.
    pub platform: Arc<Platform>,
    /// Renders the Prometheus metrics.
    pub metrics: PrometheusHandle,
    /// False once shutdown has begun, so load balancers stop sending work.
    pub accepting: AtomicBool,
    /// Rate limits.
    pub throttle: Throttle,
    /// The web console's templates and sessions.
    pub console: crate::console::Console,
}
