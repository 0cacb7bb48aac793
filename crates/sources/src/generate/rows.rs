//! CSV rows in memory, written by the `csv` crate so that a field holding a comma or a quote
//! is quoted, never split.

/// The rows one firm produced for one file.
pub struct Rows {
    writer: csv::Writer<Vec<u8>>,
    count: u64,
}

impl Default for Rows {
    fn default() -> Self {
        Rows {
            writer: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new()),
            count: 0,
        }
    }
}

impl Rows {
    /// Appends one record.
    pub fn row<I, T>(&mut self, fields: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer
            .write_record(fields)
            .expect("writing to memory cannot fail");
        self.count += 1;
    }

    /// Appends a copy of each record for which `pick` (called once per record, in order)
    /// says so.
    pub fn duplicate_some(&mut self, mut pick: impl FnMut() -> bool) {
        let bytes = std::mem::take(self).into_bytes();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let records: Vec<csv::ByteRecord> = reader
            .byte_records()
            .map(|r| r.expect("rows written by this type read back"))
            .collect();
        for r in &records {
            self.row(r);
        }
        for r in &records {
            if pick() {
                self.row(r);
            }
        }
    }

    /// Records written.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The CSV text.
    pub fn into_bytes(self) -> Vec<u8> {
        self.writer
            .into_inner()
            .expect("flushing to memory cannot fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_and_quotes_are_quoted_and_duplicates_appended() {
        let mut r = Rows::default();
        r.row(["a", "b,c", "d\"e"]);
        r.row(["x", "y", "z"]);
        let mut flip = [true, false].into_iter();
        r.duplicate_some(|| flip.next().unwrap());
        assert_eq!(r.count(), 3);
        assert_eq!(
            String::from_utf8(r.into_bytes()).unwrap(),
            "a,\"b,c\",\"d\"\"e\"\nx,y,z\na,\"b,c\",\"d\"\"e\"\n"
        );
    }
}
