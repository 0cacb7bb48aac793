//! Known-answer tests: the RFC 6962 reference leaves, roots and proofs published with
//! Certificate Transparency's implementations. A log no other implementation agrees with
//! proves nothing to anyone else.

use xinrong_ledger::{MemoryTree, Suite, TreeAt, verify_consistency, verify_inclusion};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

const SHA: Suite = Suite::Sha256Ed25519;

fn reference_tree() -> MemoryTree {
    let mut tree = MemoryTree::new(SHA);
    for leaf in LEAVES {
        tree.push(&hex::decode(leaf).unwrap());
    }
    tree
}

fn h(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}

#[test]
fn roots_of_every_size_match_rfc6962() {
    let tree = reference_tree();
    let mut growing = MemoryTree::new(SHA);
    assert_eq!(hex::encode(growing.root()), ROOTS[0], "empty tree");
    for (size, leaf) in LEAVES.iter().enumerate() {
        growing.push(&hex::decode(leaf).unwrap());
        assert_eq!(
            hex::encode(growing.root()),
            ROOTS[size + 1],
            "size {}",
            size + 1
        );
        let at = TreeAt::new(SHA, size as u64 + 1, &tree).unwrap();
        assert_eq!(
            hex::encode(at.root()),
            ROOTS[size + 1],
            "historical root at size {}",
            size + 1
        );
    }
}

#[test]
fn inclusion_proofs_match_the_published_paths() {
    let tree = reference_tree();
    let at = TreeAt::new(SHA, 8, &tree).unwrap();
    let cases: [(u64, [&str; 3]); 2] = [
        (
            0,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for (index, expected) in cases {
        let proof = at.inclusion_proof(index).unwrap();
        assert_eq!(
            proof.iter().map(hex::encode).collect::<Vec<_>>(),
            expected,
            "leaf {index}"
        );
        let leaf = SHA.leaf_hash(&hex::decode(LEAVES[index as usize]).unwrap());
        assert!(verify_inclusion(SHA, index, 8, &leaf, &proof, &h(ROOTS[8])));
    }
}

#[test]
fn consistency_proofs_match_the_published_paths() {
    let tree = reference_tree();
    let cases: [(u64, u64, &[&str]); 3] = [
        (
            2,
            8,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (old, new, expected) in cases {
        let proof = TreeAt::new(SHA, new, &tree)
            .unwrap()
            .consistency_proof(old)
            .unwrap();
        assert_eq!(
            proof.iter().map(hex::encode).collect::<Vec<_>>(),
            expected,
            "{old} -> {new}"
        );
        assert!(verify_consistency(
            SHA,
            old,
            new,
            &h(ROOTS[old as usize]),
            &h(ROOTS[new as usize]),
            &proof
        ));
    }
}
