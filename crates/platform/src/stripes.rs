//! Striped locks: one lock per name (a request key, a bank's bookings, a loan's events, an API
//! token being verified) without a lock per name kept forever.

use std::sync::Arc;

use tokio::sync::OwnedMutexGuard;

/// Lock stripes: two names share one about 1/1024 of the time, which only makes one wait.
const STRIPES: usize = 1024;

/// Striped locks: fixed memory however many names are locked; two names that share a stripe
/// only make one wait. Guards are owned, so that one can travel with a record to its writer.
pub(crate) struct Stripes(Vec<Arc<tokio::sync::Mutex<()>>>);

impl Default for Stripes {
    fn default() -> Self {
        Stripes((0..STRIPES).map(|_| Arc::default()).collect())
    }
}

impl Stripes {
    /// Locks the stripe of `hash` until the guard is dropped.
    pub(crate) async fn lock(&self, hash: u64) -> OwnedMutexGuard<()> {
        Arc::clone(&self.0[(hash % STRIPES as u64) as usize])
            .lock_owned()
            .await
    }

    /// Locks the stripe of a name (a bank's bookings, a loan's events).
    pub(crate) async fn lock_name(&self, name: &str) -> OwnedMutexGuard<()> {
        use std::hash::{Hash as _, Hasher as _};
        let mut h = std::hash::DefaultHasher::new();
        name.hash(&mut h);
        self.lock(h.finish()).await
    }
}
