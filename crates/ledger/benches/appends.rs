//! Durable appends: entries per second and acknowledgement latency when many writers submit at
//! once and each waits for its receipt (group commit: one fsync and one signature per batch),
//! in both suites. The end-to-end figure with 1,024 writers over a 10-million-entry log comes
//! from `bench/ledger.sh`; this is the same path at a size criterion can repeat.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use xinrong_ledger::{Ledger, Suite};

/// Writers appending concurrently; each submits, waits for its receipt, and repeats.
const WRITERS: usize = 64;
/// Appends per writer per iteration.
const EACH: usize = 8;

fn appends(c: &mut Criterion) {
    for suite in Suite::ALL {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Arc::new(Ledger::create(dir.path(), "bench.local/ledger", suite).unwrap());
        let mut group = c.benchmark_group(format!("ledger/{suite}/durable"));
        group.throughput(Throughput::Elements((WRITERS * EACH) as u64));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(8));
        group.bench_function(BenchmarkId::new("appends_with_receipts", WRITERS), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                for _ in 0..iters {
                    std::thread::scope(|s| {
                        for w in 0..WRITERS {
                            let ledger = Arc::clone(&ledger);
                            s.spawn(move || {
                                for n in 0..EACH {
                                    let entry = format!(r#"{{"kind":"bench","n":{n},"w":{w}}}"#);
                                    ledger.submit(entry).unwrap().wait().unwrap();
                                }
                            });
                        }
                    });
                }
                started.elapsed()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, appends);
criterion_main!(benches);
