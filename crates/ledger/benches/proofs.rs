//! Proof generation and verification on an in-memory tree of one million entries, and the
//! hashing cost of appending, in both suites. (Durable appends and proofs from a 10-million
//! entry log on disk are measured by `xinrong ledger bench`; see bench/RESULTS.md.)

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use xinrong_ledger::{MemoryTree, Suite, TreeAt, verify_consistency, verify_inclusion};

const SIZE: u64 = 1_000_000;

fn proofs(c: &mut Criterion) {
    for suite in Suite::ALL {
        let mut tree = MemoryTree::new(suite);
        for i in 0..SIZE {
            tree.push(&i.to_be_bytes());
        }
        let at = TreeAt::new(suite, SIZE, &tree).unwrap();
        let root = at.root();
        let mut group = c.benchmark_group(format!("ledger/{suite}"));
        let mut index = 0u64;
        group.bench_function(BenchmarkId::new("inclusion_proof", SIZE), |b| {
            b.iter(|| {
                index = (index + 7_919) % SIZE;
                black_box(at.inclusion_proof(index).unwrap())
            })
        });
        let leaf = suite.leaf_hash(&123_456u64.to_be_bytes());
        let proof = at.inclusion_proof(123_456).unwrap();
        group.bench_function(BenchmarkId::new("verify_inclusion", SIZE), |b| {
            b.iter(|| {
                assert!(verify_inclusion(
                    suite,
                    123_456,
                    SIZE,
                    black_box(&leaf),
                    &proof,
                    &root
                ))
            })
        });
        let old = 654_321;
        let old_root = TreeAt::new(suite, old, &tree).unwrap().root();
        let consistency = at.consistency_proof(old).unwrap();
        group.bench_function(BenchmarkId::new("verify_consistency", SIZE), |b| {
            b.iter(|| {
                assert!(verify_consistency(
                    suite,
                    old,
                    SIZE,
                    black_box(&old_root),
                    &root,
                    &consistency
                ))
            })
        });
        group.bench_function("append_10k_leaves", |b| {
            b.iter(|| {
                let mut t = MemoryTree::new(suite);
                for i in 0..10_000u64 {
                    t.push(&i.to_be_bytes());
                }
                black_box(t.root())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, proofs);
criterion_main!(benches);
