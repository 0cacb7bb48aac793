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
