//! The shape of the tree: where each node lives in the post-order node file, and the
//! frontier (the roots of the perfect subtrees) that appending leaves updates.
//!
//! Every perfect subtree of the log (level `k`, index `j`, covering leaves
//! `[j·2^k, (j+1)·2^k)`) is hashed exactly once, when its last leaf arrives, and its hash
//! is appended to the node file right after that leaf's own hash and the hashes of the
//! smaller subtrees it completes. The file is therefore append-only, and the position of
//! any node is a closed formula ([`node_position`]); a tree of `n` leaves holds
//! `2n - popcount(n)` nodes.

use crate::suite::{Hash, Suite};

/// Number of stored nodes in a tree of `size` leaves.
pub fn node_count(size: u64) -> u64 {
    2 * size - u64::from(size.count_ones())
}

/// Position (in hashes, not bytes) of perfect-subtree node (`level`, `index`).
pub fn node_position(level: u32, index: u64) -> u64 {
    let last_leaf = ((index + 1) << level) - 1;
    node_count(last_leaf) + u64::from(level)
}

/// The largest tree size whose nodes all fit in `nodes` stored hashes.
pub fn size_for_nodes(nodes: u64) -> u64 {
    // node_count is increasing; n ≤ nodes/2 + 64, so a short binary search finds it.
    let (mut lo, mut hi) = (0u64, nodes / 2 + 65);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if node_count(mid) <= nodes {
            lo = mid
        } else {
            hi = mid - 1
        }
    }
    lo
}

/// The perfect subtrees a tree of `size` leaves decomposes into, left to right, as
/// `(level, first leaf)`: one per set bit of `size`, largest first.
pub fn perfect_subtrees(size: u64) -> impl Iterator<Item = (u32, u64)> {
    (0..64u32)
        .rev()
        .filter(move |level| size >> level & 1 == 1)
        .scan(0u64, |start, level| {
            let first = *start;
            *start += 1 << level;
            Some((level, first))
        })
}

/// Read access to stored perfect-subtree hashes.
pub trait Nodes {
    /// The error reading a node can give.
    type Error;
    /// Hash of the perfect subtree at (`level`, `index`), which must be complete.
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// The roots of the perfect subtrees that make up a tree of the current size, left to
/// right, each with its level. Appending a leaf needs only these.
#[derive(Clone, Debug)]
pub struct Frontier {
    suite: Suite,
    size: u64,
    stack: Vec<(u32, Hash)>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new(suite: Suite) -> Frontier {
        Frontier {
            suite,
            size: 0,
            stack: Vec::new(),
        }
    }

    /// Rebuilds the frontier of a tree of `size` leaves from stored nodes.
    pub fn load<N: Nodes>(suite: Suite, size: u64, nodes: &N) -> Result<Frontier, N::Error> {
        let stack = perfect_subtrees(size)
            .map(|(level, start)| Ok((level, nodes.node(level, start >> level)?)))
            .collect::<Result<_, _>>()?;
        Ok(Frontier { suite, size, stack })
    }

    /// Number of leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash, pushing onto `out` the nodes to store, in post-order: the leaf
    /// itself, then each perfect subtree it completes.
    pub fn push(&mut self, leaf: Hash, out: &mut Vec<Hash>) {
        out.push(leaf);
        self.stack.push((0, leaf));
        self.size += 1;
        while self.stack.len() >= 2 {
            let (right_level, right) = self.stack[self.stack.len() - 1];
            let (left_level, left) = self.stack[self.stack.len() - 2];
            if left_level != right_level {
                break;
            }
            self.stack.truncate(self.stack.len() - 2);
            let parent = self.suite.node_hash(&left, &right);
            out.push(parent);
            self.stack.push((left_level + 1, parent));
        }
    }

    /// The tree's root hash (RFC 9162 MTH of all leaves so far).
    pub fn root(&self) -> Hash {
        let mut iter = self.stack.iter().rev();
        let Some(&(_, mut root)) = iter.next() else {
            return self.suite.empty_root();
        };
        for (_, left) in iter {
            root = self.suite.node_hash(left, &root);
        }
        root
    }
}

/// A whole tree in memory, in the same post-order layout as the node file. Used for
/// tests, benchmarks and small tools; the log itself keeps its nodes on disk.
#[derive(Clone, Debug)]
pub struct MemoryTree {
    frontier: Frontier,
    nodes: Vec<Hash>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new(suite: Suite) -> MemoryTree {
        MemoryTree {
            frontier: Frontier::new(suite),
            nodes: Vec::new(),
        }
    }

    /// Appends an entry (its leaf hash is computed here).
    pub fn push(&mut self, entry: &[u8]) {
        let leaf = self.frontier.suite.leaf_hash(entry);
        self.frontier.push(leaf, &mut self.nodes);
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Current root.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The stored hashes, in post-order.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }
}

impl Nodes for MemoryTree {
    type Error = std::convert::Infallible;
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        Ok(self.nodes[node_position(level, index) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_the_post_order_append() {
        let mut tree = MemoryTree::new(Suite::Sha256Ed25519);
        for i in 0..300u32 {
            tree.push(&i.to_be_bytes());
            let size = tree.size();
            assert_eq!(tree.nodes().len() as u64, node_count(size));
            assert_eq!(size_for_nodes(node_count(size)), size);
            assert_eq!(size_for_nodes(node_count(size + 1) - 1), size);
            // The newest leaf sits where the formula says.
            assert_eq!(
                tree.nodes()[node_position(0, size - 1) as usize],
                Suite::Sha256Ed25519.leaf_hash(&i.to_be_bytes())
            );
            let reloaded = Frontier::load(Suite::Sha256Ed25519, size, &tree).unwrap();
            assert_eq!(reloaded.root(), tree.root());
        }
        // A parent is the hash of its two children, wherever it is stored.
        for level in 1..8 {
            for index in 0..(300u64 >> level) {
                let parent = tree.node(level, index).unwrap();
                let left = tree.node(level - 1, 2 * index).unwrap();
                let right = tree.node(level - 1, 2 * index + 1).unwrap();
                assert_eq!(parent, Suite::Sha256Ed25519.node_hash(&left, &right));
            }
        }
    }
}
