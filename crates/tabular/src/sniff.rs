//! How a delimited text file is written: its encoding and its delimiter. One set of rules for
//! every reader of the project (analysts' tables here, source files in `xinrong-sources`), so
//! a file that one reader accepts the other reads the same way.

/// The UTF-8 byte-order mark some spreadsheets write first.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Delimiters tried, in order of preference when they split equally well.
pub const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];

/// Whether `sample`, the start of a file, is UTF-8. A multi-byte character cut off at the end
/// of the sample still counts as UTF-8. Anything else is read as GBK/GB18030, the encoding
/// Chinese spreadsheets write.
pub fn is_utf8(sample: &[u8]) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Bytes of a file's start that decide its encoding.
pub const SAMPLE: usize = 64 * 1024;

/// A file's encoding, decided by [`is_utf8`] from the whole file when it is in memory, or
/// from its first [`SAMPLE`] bytes when it is streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8; `bom` when it starts with the byte-order mark (skipped).
    Utf8 {
        /// Starts with the BOM.
        bom: bool,
    },
    /// GBK/GB18030.
    Gb18030,
}

impl Encoding {
    /// The encoding of a file that starts with `sample`.
    pub fn detect(sample: &[u8]) -> Encoding {
        if is_utf8(sample) {
            Encoding::Utf8 {
                bom: sample.starts_with(UTF8_BOM),
            }
        } else {
            Encoding::Gb18030
        }
    }
}

/// Decodes GB18030 strictly: the text, or the byte offset of the first sequence that is not
/// GB18030 (such a file is neither encoding, and guessing would corrupt its text silently).
pub fn decode_gb18030(bytes: &[u8]) -> Result<String, usize> {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(usize::MAX);
    let mut out = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(out),
        encoding_rs::DecoderResult::Malformed(bad, after) => {
            Err(read - bad as usize - after as usize)
        }
        encoding_rs::DecoderResult::OutputFull => {
            unreachable!("the output was sized for the worst case and grows as needed")
        }
    }
}

/// The delimiter of decoded text (or of UTF-8 bytes): the candidate that splits the header
/// into the most fields and splits the next line into at least as many; a comma when none
/// splits the header.
pub fn delimiter(text: &[u8]) -> u8 {
    let mut lines = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let header = lines.next().unwrap_or_default();
    let second = lines.next();
    let count = |line: &[u8], d: u8| line.iter().filter(|&&b| b == d).count();
    let mut best = (b',', 0usize);
    for d in DELIMITERS {
        let n = count(header, d);
        let consistent = second.is_none_or(|s| count(s, d) >= n);
        if n > best.1 && consistent {
            best = (d, n);
        }
    }
    best.0
}

/// Whether the file's lines end in CR LF (judged by its first line).
pub fn crlf(text: &[u8]) -> bool {
    text.split(|&b| b == b'\n')
        .next()
        .is_some_and(|l| l.ends_with(b"\r"))
        && text.contains(&b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_told_apart_and_gb18030_is_decoded_strictly() {
        let gbk = encoding_rs::GBK.encode("企业名称,收入\n甲公司,1\n").0;
        assert_eq!(Encoding::detect(&gbk), Encoding::Gb18030);
        assert_eq!(
            Encoding::detect("企业,1\n".as_bytes()),
            Encoding::Utf8 { bom: false }
        );
        assert_eq!(
            Encoding::detect(b"\xEF\xBB\xBFa,b\n"),
            Encoding::Utf8 { bom: true }
        );
        assert_eq!(decode_gb18030(&gbk).unwrap(), "企业名称,收入\n甲公司,1\n");
        // 0xFF is neither UTF-8 nor GB18030: refused at its offset.
        let mut broken = gbk.to_vec();
        broken.insert(8, 0xFF); // after 企业名称 (four two-byte characters)
        assert_eq!(decode_gb18030(&broken), Err(8));
        // Inside a character, the malformed sequence starts at the character's lead byte.
        let mut split = gbk.to_vec();
        split.insert(5, 0xFF);
        assert_eq!(decode_gb18030(&split), Err(4));
    }

    #[test]
    fn the_delimiter_splits_header_and_body_alike() {
        assert_eq!(delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(delimiter("企业\t收入\n甲\t1\n".as_bytes()), b'\t');
        assert_eq!(delimiter(b"a;b\n1,5;2\n"), b';');
        // A comma inside the header text does not win when the body does not follow it.
        assert_eq!(delimiter(b"name|note\nx|a, b, c\n"), b'|');
        assert_eq!(delimiter(b"single\n1\n"), b',');
        assert_eq!(delimiter(b""), b',');
    }

    #[test]
    fn a_cut_multibyte_character_is_still_utf8() {
        let text = "企业名称".as_bytes();
        assert!(is_utf8(&text[..text.len() - 1]));
        let (gbk, _, _) = encoding_rs::GBK.encode("企业名称,收入");
        assert!(!is_utf8(&gbk));
        assert!(crlf(b"a,b\r\n1,2\r\n") && !crlf(b"a,b\n1,2\n") && !crlf(b"a,b\r"));
    }
}
