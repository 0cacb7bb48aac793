//! What verifiers are handed, fuzzed (proptest): receipts, signed checkpoints, verifier keys
//! and entries, whole or damaged. Each is verified or refused with a typed error; never a
//! panic, and never a damaged receipt that verifies.

use proptest::prelude::*;
use xinrong_ledger::{Checkpoint, Entry, Ledger, Receipt, Suite, VerifierKey, verify_note};

/// A real log's receipt and key, in both suites.
fn fixtures() -> &'static [(String, String)] {
    static F: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        Suite::ALL
            .iter()
            .map(|&suite| {
                let dir = tempfile::tempdir().unwrap();
                let ledger = Ledger::create(dir.path(), "fuzz.example/log", suite).unwrap();
                for i in 0..6 {
                    ledger.append(format!(r#"{{"kind":"n","i":{i}}}"#)).unwrap();
                }
                let receipt = ledger.receipt(3).unwrap();
                (
                    serde_json::to_string(&receipt).unwrap(),
                    ledger.verifier().encode(),
                )
            })
            .collect()
    })
}

/// Damages `text`: a byte changed, removed, or inserted, or the text cut short.
fn damage(text: &str, at: prop::sample::Index, how: u8, byte: u8) -> String {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.is_empty() {
        return String::new();
    }
    let i = at.index(bytes.len());
    match how % 4 {
        0 => bytes[i] = byte,
        1 => {
            bytes.remove(i);
        }
        2 => bytes.insert(i, byte),
        _ => bytes.truncate(i),
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_damaged_receipt_is_refused_never_verified_and_never_a_panic(
        which in 0usize..2, at in any::<prop::sample::Index>(), how in any::<u8>(), byte in any::<u8>()
    ) {
        let (receipt, key) = &fixtures()[which];
        let key = VerifierKey::decode(key).unwrap();
        let damaged = damage(receipt, at, how, byte);
        if let Ok(r) = serde_json::from_str::<Receipt>(&damaged)
            && r.verify(&key).is_ok()
        {
            // Only a change that leaves the receipt's meaning intact may still verify:
            // the same entry at the same index under the same checkpoint.
            let original: Receipt = serde_json::from_str(receipt).unwrap();
            prop_assert_eq!(r.entry, original.entry);
            prop_assert_eq!(r.leaf_index, original.leaf_index);
        }
    }

    #[test]
    fn damaged_keys_and_checkpoints_are_refused_or_equivalent(
        which in 0usize..2, at in any::<prop::sample::Index>(), how in any::<u8>(), byte in any::<u8>()
    ) {
        let (receipt, key_text) = &fixtures()[which];
        let key = VerifierKey::decode(key_text).unwrap();
        let note = serde_json::from_str::<Receipt>(receipt).unwrap().checkpoint;
        let damaged_note = damage(&note, at, how, byte);
        if let Ok(c) = Checkpoint::open(&damaged_note, &key) {
            let original = Checkpoint::open(&note, &key).unwrap();
            prop_assert_eq!((c.size, c.root), (original.size, original.root));
        }
        let _ = verify_note(&damaged_note, &key);
        let _ = Checkpoint::parse_body(&damaged_note);
        if let Ok(k) = VerifierKey::decode(&damage(key_text, at, how, byte)) {
            let _ = Checkpoint::open(&note, &k);
        }
    }

    #[test]
    fn any_text_is_an_entry_or_a_typed_error(text in ".{0,300}") {
        if let Ok(entry) = Entry::parse(&text) {
            let again = Entry::parse(&entry.to_canonical()).unwrap();
            prop_assert_eq!(again, entry);
        }
        let _ = VerifierKey::decode(&text);
        let _ = Checkpoint::parse_body(&text);
    }
}
