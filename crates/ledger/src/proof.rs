//! RFC 9162 §2.1 inclusion and consistency proofs: producing them from stored subtree
//! hashes, and checking them with nothing but hashes.
//!
//! Proof generation reads only perfect-subtree hashes (one lookup each) and the right
//! edge of the tree, whose suffix hashes are computed once per tree size, so a proof costs
//! `O(log n)` lookups whatever the size of the log.

use std::sync::Arc;

use crate::suite::{Hash, Suite};
use crate::tree::{Nodes, perfect_subtrees};

/// The largest power of two strictly below `n` (`n ≥ 2`): RFC 9162's split point.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Right-edge hashes of one tree size: `(start, MTH(D[start:size]))`.
pub type Edge = Arc<Vec<(u64, Hash)>>;

/// A view of the tree as it was at one size, for producing proofs against that size.
pub struct TreeAt<'a, N: Nodes> {
    suite: Suite,
    size: u64,
    nodes: &'a N,
    /// `(start, MTH(D[start:size]))` for every start of the size's perfect-subtree
    /// decomposition: the only non-perfect ranges proofs ever need.
    edge: Edge,
}

impl<'a, N: Nodes> TreeAt<'a, N> {
    /// Prepares proofs against the tree of `size` leaves.
    pub fn new(suite: Suite, size: u64, nodes: &'a N) -> Result<TreeAt<'a, N>, N::Error> {
        let parts: Vec<(u64, Hash)> = perfect_subtrees(size)
            .map(|(level, start)| Ok((start, nodes.node(level, start >> level)?)))
            .collect::<Result<_, _>>()?;
        let mut edge = Vec::with_capacity(parts.len());
        let mut suffix: Option<Hash> = None;
        for &(start, hash) in parts.iter().rev() {
            let h = match suffix {
                None => hash,
                Some(right) => suite.node_hash(&hash, &right),
            };
            edge.push((start, h));
            suffix = Some(h);
        }
        Ok(TreeAt {
            suite,
            size,
            nodes,
            edge: Arc::new(edge),
        })
    }

    /// The right-edge hashes of this size, to reuse with [`TreeAt::with_edge`].
    pub fn edge(&self) -> Edge {
        Arc::clone(&self.edge)
    }

    /// A view built from an edge computed earlier for the same size (saves `O(log n)`
    /// lookups and hashes per proof when many proofs target one checkpoint).
    pub fn with_edge(
        suite: Suite,
        size: u64,
        nodes: &'a N,
        edge: Arc<Vec<(u64, Hash)>>,
    ) -> TreeAt<'a, N> {
        TreeAt {
            suite,
            size,
            nodes,
            edge,
        }
    }

    /// The tree size this view proves against.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash at this size.
    pub fn root(&self) -> Hash {
        self.edge
            .last()
            .map_or_else(|| self.suite.empty_root(), |&(_, h)| h)
    }

    /// RFC 9162 MTH(D[lo:hi]).
    pub fn range(&self, lo: u64, hi: u64) -> Result<Hash, N::Error> {
        let n = hi - lo;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            return self.nodes.node(n.trailing_zeros(), lo / n);
        }
        if hi == self.size
            && let Some(&(_, h)) = self.edge.iter().find(|&&(start, _)| start == lo)
        {
            return Ok(h);
        }
        let k = split(n);
        Ok(self
            .suite
            .node_hash(&self.range(lo, lo + k)?, &self.range(lo + k, hi)?))
    }

    /// RFC 9162 §2.1.3.1 inclusion proof of leaf `index`, from the leaf upwards.
    pub fn inclusion_proof(&self, index: u64) -> Result<Vec<Hash>, N::Error> {
        assert!(
            index < self.size,
            "inclusion proof of leaf {index} in a tree of {}",
            self.size
        );
        let (mut lo, mut hi) = (0, self.size);
        let mut proof = Vec::new();
        while hi - lo > 1 {
            let k = split(hi - lo);
            if index < lo + k {
                proof.push(self.range(lo + k, hi)?);
                hi = lo + k;
            } else {
                proof.push(self.range(lo, lo + k)?);
                lo += k;
            }
        }
        proof.reverse();
        Ok(proof)
    }

    /// RFC 9162 §2.1.4.1 consistency proof from the tree of `old_size` leaves to this one.
    pub fn consistency_proof(&self, old_size: u64) -> Result<Vec<Hash>, N::Error> {
        assert!(
            old_size <= self.size,
            "consistency proof from {old_size} to {}",
            self.size
        );
        if old_size == 0 || old_size == self.size {
            return Ok(Vec::new());
        }
        let (mut lo, mut hi, mut complete) = (0, self.size, true);
        let mut proof = Vec::new();
        loop {
            if old_size == hi {
                if !complete {
                    proof.push(self.range(lo, hi)?);
                }
                break;
            }
            let k = split(hi - lo);
            if old_size <= lo + k {
                proof.push(self.range(lo + k, hi)?);
                hi = lo + k;
            } else {
                proof.push(self.range(lo, lo + k)?);
                lo += k;
                complete = false;
            }
        }
        proof.reverse();
        Ok(proof)
    }
}

/// RFC 9162 §2.1.3.2: does `proof` show that `leaf` is entry `index` of the tree of `size`
/// leaves whose root is `root`?
pub fn verify_inclusion(
    suite: Suite,
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = suite.node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = suite.node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: does `proof` show that the tree of `old_size` leaves with root
/// `old_root` is a prefix of the tree of `new_size` leaves with root `new_root`?
pub fn verify_consistency(
    suite: Suite,
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty() && *old_root == suite.empty_root();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = suite.node_hash(c, &fr);
            sr = suite.node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = suite.node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *old_root && sr == *new_root && s == 0
}
