//! Records written by one task in group commits: every record waiting when a transaction
//! starts goes into it, so the database sees one commit (one fsync) per batch, not per record,
//! and a caller is answered only after its record is committed. Score queries and credit
//! decisions are stored this way; that is what lets them be answered thousands a second with
//! `synchronous=FULL`.

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use crate::error::PlatformError;

/// Most records in one transaction.
const BATCH: usize = 256;
/// Rows per INSERT statement. A batch is cut into statements of these sizes only, largest
/// first, so that each connection prepares at most four statements and reuses them.
const ROWS_PER_INSERT: [usize; 4] = [64, 16, 4, 1];

/// A row of a table written in group commits.
pub(crate) trait Row: Send + Sync + 'static {
    /// `INSERT INTO table (column, …)`, without `VALUES`.
    const INSERT: &'static str;
    /// The number of columns.
    const COLUMNS: usize;
    /// Binds the row's values, in the order of [`Row::INSERT`].
    fn bind<'q>(
        &self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;
}

type Job<R> = (R, oneshot::Sender<Result<(), String>>);

/// Handle of a writer task.
pub(crate) struct GroupCommit<R: Row> {
    jobs: mpsc::Sender<Job<R>>,
    what: &'static str,
}

impl<R: Row> Clone for GroupCommit<R> {
    fn clone(&self) -> Self {
        GroupCommit {
            jobs: self.jobs.clone(),
            what: self.what,
        }
    }
}

impl<R: Row> GroupCommit<R> {
    /// Starts the writer task of `what` (for messages) on the current Tokio runtime.
    pub(crate) fn start(pool: AnyPool, what: &'static str) -> GroupCommit<R> {
        let (jobs, rx) = mpsc::channel(4 * BATCH);
        tokio::spawn(writer(pool, rx, Inserts::new(), what));
        GroupCommit { jobs, what }
    }

    /// Stores a row; returns once it is committed.
    pub(crate) async fn write(&self, row: R) -> Result<(), PlatformError> {
        let (tx, rx) = oneshot::channel();
        let closed =
            || PlatformError::Unavailable(format!("the {} log is shutting down", self.what));
        self.jobs.send((row, tx)).await.map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?.map_err(|e| {
            PlatformError::Unavailable(format!("{} record not stored: {e}", self.what))
        })
    }
}

async fn writer<R: Row>(
    pool: AnyPool,
    mut rx: mpsc::Receiver<Job<R>>,
    inserts: Inserts<R>,
    what: &'static str,
) {
    let mut batch: Vec<Job<R>> = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let outcome = async {
            let mut tx = pool.begin().await?;
            let rows: Vec<&R> = batch.iter().map(|(r, _)| r).collect();
            inserts.run(&mut tx, &rows).await?;
            tx.commit().await
        }
        .await
        .map_err(|e| e.to_string());
        if let Err(e) = &outcome {
            tracing::error!(error = %e, records = batch.len(), what, "records not stored");
        }
        for (_, reply) in batch.drain(..) {
            let _ = reply.send(outcome.clone());
        }
    }
}

/// Cuts `n` rows into statement sizes from [`ROWS_PER_INSERT`].
fn statement_sizes(mut n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for size in ROWS_PER_INSERT {
        while n >= size {
            out.push(size);
            n -= size;
        }
    }
    out
}

/// The INSERT of `rows` rows.
fn insert_sql<R: Row>(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| {
            let cols: Vec<String> = (1..=R::COLUMNS)
                .map(|c| format!("${}", R::COLUMNS * i + c))
                .collect();
            format!("({})", cols.join(", "))
        })
        .collect();
    format!("{} VALUES {}", R::INSERT, values.join(", "))
}

/// The multi-row INSERT statements of a row type, one per size of [`ROWS_PER_INSERT`]: a
/// writer that commits more than rows (see the guarantees) inserts its rows with them.
pub(crate) struct Inserts<R> {
    sql: Vec<String>,
    row: std::marker::PhantomData<fn(R)>,
}

impl<R: Row> Inserts<R> {
    pub(crate) fn new() -> Inserts<R> {
        Inserts {
            sql: ROWS_PER_INSERT
                .iter()
                .map(|&n| insert_sql::<R>(n))
                .collect(),
            row: std::marker::PhantomData,
        }
    }

    /// Inserts `rows` inside the caller's transaction, in few statements.
    pub(crate) async fn run(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        rows: &[&R],
    ) -> Result<(), sqlx::Error> {
        let mut rest = rows;
        for size in statement_sizes(rows.len()) {
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            let k = ROWS_PER_INSERT
                .iter()
                .position(|&n| n == size)
                .expect("a statement size");
            // Built from a constant and numbered placeholders only: no value is spliced in.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(self.sql[k].as_str()));
            for r in chunk {
                q = r.bind(q);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Three;
    impl Row for Three {
        const INSERT: &'static str = "INSERT INTO t (a, b, c)";
        const COLUMNS: usize = 3;
        fn bind<'q>(
            &self,
            q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
        ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
            q
        }
    }

    #[test]
    fn each_statement_shape_has_a_placeholder_per_column_and_row() {
        for n in ROWS_PER_INSERT {
            let sql = insert_sql::<Three>(n);
            assert_eq!(sql.matches('$').count(), 3 * n, "{sql}");
            assert!(sql.ends_with(&format!("${})", 3 * n)), "{sql}");
            assert!(sql.starts_with("INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"));
        }
    }

    #[test]
    fn batches_cut_into_few_statement_shapes() {
        assert_eq!(statement_sizes(0), Vec::<usize>::new());
        assert_eq!(statement_sizes(1), [1]);
        assert_eq!(statement_sizes(23), [16, 4, 1, 1, 1]);
        assert_eq!(statement_sizes(256), [64, 64, 64, 64]);
        for n in 0..300 {
            assert_eq!(statement_sizes(n).iter().sum::<usize>(), n);
        }
    }
}
