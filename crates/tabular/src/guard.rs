//! A guard around third-party decoders of untrusted files. The Parquet and Arrow crates check
//! most damage and return errors, but some damaged files (a page whose lengths disagree with
//! its buffers) make them panic. A file someone hands us must never bring the process down, so
//! each decode of such a file runs behind this guard and a panic becomes an error that names
//! the file.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `decode`; a panic inside it becomes `Err` with the panic's message.
///
/// Only for decoders of untrusted bytes whose state is dropped with the failed call: nothing
/// they touched is used afterwards, so unwinding out of them leaves no broken invariant.
pub fn contain_panics<T, E>(
    decode: impl FnOnce() -> Result<T, E>,
    on_panic: impl FnOnce(String) -> E,
) -> Result<T, E> {
    match catch_unwind(AssertUnwindSafe(decode)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "the decoder failed".to_string());
            Err(on_panic(format!("the file is damaged ({message})")))
        }
    }
}
