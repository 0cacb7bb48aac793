//! Every proof for every (index, size) and every (old, new) pair of a few hundred entries
//! verifies, in both suites; and any flipped bit in a proof, a root or an entry fails.

use proptest::prelude::*;
use xinrong_ledger::{Hash, MemoryTree, Suite, TreeAt, verify_consistency, verify_inclusion};

const N: u64 = 300;

fn tree(suite: Suite, n: u64) -> MemoryTree {
    let mut tree = MemoryTree::new(suite);
    for i in 0..n {
        tree.push(format!("entry {i}").as_bytes());
    }
    tree
}

fn roots(suite: Suite, tree: &MemoryTree) -> Vec<Hash> {
    (0..=tree.size())
        .map(|s| TreeAt::new(suite, s, tree).unwrap().root())
        .collect()
}

#[test]
fn every_inclusion_proof_up_to_300_verifies() {
    for suite in Suite::ALL {
        let tree = tree(suite, N);
        let roots = roots(suite, &tree);
        for size in 1..=N {
            let at = TreeAt::new(suite, size, &tree).unwrap();
            for index in 0..size {
                let proof = at.inclusion_proof(index).unwrap();
                let leaf = suite.leaf_hash(format!("entry {index}").as_bytes());
                assert!(
                    verify_inclusion(suite, index, size, &leaf, &proof, &roots[size as usize]),
                    "{suite} {index}/{size}"
                );
                // The same proof must not pass for a neighbouring index or size.
                if index + 1 < size {
                    assert!(!verify_inclusion(
                        suite,
                        index + 1,
                        size,
                        &leaf,
                        &proof,
                        &roots[size as usize]
                    ));
                }
            }
        }
    }
}

#[test]
fn every_consistency_proof_up_to_300_verifies() {
    for suite in Suite::ALL {
        let tree = tree(suite, N);
        let roots = roots(suite, &tree);
        for new in 0..=N {
            let at = TreeAt::new(suite, new, &tree).unwrap();
            for old in 0..=new {
                let proof = at.consistency_proof(old).unwrap();
                assert!(
                    verify_consistency(
                        suite,
                        old,
                        new,
                        &roots[old as usize],
                        &roots[new as usize],
                        &proof
                    ),
                    "{suite} {old}->{new}"
                );
                if old > 0 && old < new {
                    // A root that is not the old tree's must not be proven consistent.
                    assert!(!verify_consistency(
                        suite,
                        old,
                        new,
                        &roots[old as usize - 1],
                        &roots[new as usize],
                        &proof
                    ));
                }
            }
        }
    }
}

fn flip(hash: &Hash, bit: usize) -> Hash {
    let mut h = *hash;
    h[bit / 8] ^= 1 << (bit % 8);
    h
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_flipped_bit_in_an_inclusion_proof_fails(size in 2u64..=N, index_seed in 0u64..10_000, bit in 0usize..256, which in 0usize..64) {
        let suite = if bit % 2 == 0 { Suite::Sha256Ed25519 } else { Suite::Sm3Sm2 };
        let tree = tree(suite, size);
        let at = TreeAt::new(suite, size, &tree).unwrap();
        let index = index_seed % size;
        let root = at.root();
        let leaf = suite.leaf_hash(format!("entry {index}").as_bytes());
        let mut proof = at.inclusion_proof(index).unwrap();
        let k = which % proof.len();
        proof[k] = flip(&proof[k], bit);
        prop_assert!(!verify_inclusion(suite, index, size, &leaf, &proof, &root));
        let proof = at.inclusion_proof(index).unwrap();
        prop_assert!(!verify_inclusion(suite, index, size, &flip(&leaf, bit), &proof, &root));
        prop_assert!(!verify_inclusion(suite, index, size, &leaf, &proof, &flip(&root, bit)));
        // An edited entry (one flipped bit) no longer has the proven leaf hash.
        let mut entry = format!("entry {index}").into_bytes();
        let at_byte = bit % entry.len();
        entry[at_byte] ^= 1 << (bit % 8);
        prop_assert!(!verify_inclusion(suite, index, size, &suite.leaf_hash(&entry), &proof, &root));
    }

    #[test]
    fn any_flipped_bit_in_a_consistency_proof_fails(new in 2u64..=N, old_seed in 1u64..10_000, bit in 0usize..256, which in 0usize..64) {
        let suite = if bit % 2 == 0 { Suite::Sha256Ed25519 } else { Suite::Sm3Sm2 };
        let tree = tree(suite, new);
        let at = TreeAt::new(suite, new, &tree).unwrap();
        let old = 1 + old_seed % (new - 1);
        let old_root = TreeAt::new(suite, old, &tree).unwrap().root();
        let mut proof = at.consistency_proof(old).unwrap();
        let k = which % proof.len();
        proof[k] = flip(&proof[k], bit);
        prop_assert!(!verify_consistency(suite, old, new, &old_root, &at.root(), &proof));
        let proof = at.consistency_proof(old).unwrap();
        prop_assert!(!verify_consistency(suite, old, new, &flip(&old_root, bit), &at.root(), &proof));
        prop_assert!(!verify_consistency(suite, old, new, &old_root, &flip(&at.root(), bit), &proof));
    }
}
