//! The catalogue planned once and run for one enterprise at a time.
//!
//! Rescoring an enterprise after an upload runs about sixty family queries over a few hundred
//! rows. Executing them takes a fraction of a millisecond each; planning them (SQL to logical
//! plan, optimiser, physical plan) takes several. So the queries are planned once, over
//! "slot" tables whose rows are only supplied when a plan runs: each source, the one-row
//! tables of each window's dates (so no date is a literal of the plan), and the table of
//! base indicators the derived ones read. The SQL is the catalogue's own, with its dates as
//! columns instead of literals; the rows a plan sees are the source's rows dated on or before
//! the as-of date, exactly as the store-wide run's point-in-time views show them.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use datafusion::arrow::array::{Date32Array, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::compute::kernels::cmp::lt_eq;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::TableType;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{
    Boundedness, EmissionType, ReplaceChildrenOptions, reset_plan_states,
};
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream, collect,
};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::catalogue::Catalogue;
use crate::enterprise::{EnterpriseData, nullable};
use crate::error::IndicatorError;
use crate::runner::{
    DATE_COLUMNS, DateTerms, IndicatorTable, Queries, Values, WindowDates, compute_in, dates_table,
    derived_sql, engine, epoch_days, family_context, family_sql, read_only, source_schema,
    user_context, user_error, values_of,
};

/// The rows the slot tables hold while a plan runs, by table name; handed to the plan as an
/// extension of its task's configuration.
#[derive(Debug, Default)]
struct SlotRows(HashMap<String, Vec<RecordBatch>>);

/// A table whose rows are not known when a query is planned: the plan reads them from the
/// [`SlotRows`] of the task that runs it (none there reads as no rows).
#[derive(Debug)]
struct Slot {
    name: String,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for Slot {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let schema = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(Arc::new(SlotExec {
            name: self.name.clone(),
            projection: projection.cloned(),
            schema,
            properties: Arc::new(properties),
        }))
    }
}

/// The scan of a [`Slot`].
#[derive(Debug)]
struct SlotExec {
    name: String,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl DisplayAs for SlotExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "SlotExec: {}", self.name)
    }
}

impl ExecutionPlan for SlotExec {
    fn name(&self) -> &str {
        "SlotExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> datafusion::error::Result<TreeNodeRecursion>,
    ) -> datafusion::error::Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn with_new_children(
        self: Arc<Self>,
        _: Vec<Arc<dyn ExecutionPlan>>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        _partition: usize,
        context: Arc<TaskContext>,
    ) -> datafusion::error::Result<SendableRecordBatchStream> {
        let batches = context
            .session_config()
            .get_extension::<SlotRows>()
            .and_then(|rows| rows.0.get(&self.name).cloned())
            .unwrap_or_default();
        Ok(Box::pin(MemoryStream::try_new(
            batches,
            Arc::clone(&self.schema),
            self.projection.clone(),
        )?))
    }
}

/// The indicator catalogue planned once, for computing one enterprise's indicators as of any
/// date in milliseconds (see the module documentation). Safe to share between tasks: each
/// run executes fresh copies of the plans.
pub struct PreparedCatalogue {
    catalogue: Catalogue,
    session: SessionContext,
    families: Vec<Planned>,
    user: Vec<Arc<dyn ExecutionPlan>>,
    derived: Option<Arc<dyn ExecutionPlan>>,
    windows: Vec<u32>,
}

impl fmt::Debug for PreparedCatalogue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedCatalogue")
            .field("indicators", &self.catalogue.indicators.len())
            .field("plans", &(self.families.len() + self.user.len()))
            .finish()
    }
}

fn dates_schema() -> SchemaRef {
    Arc::new(Schema::new(
        DATE_COLUMNS
            .iter()
            .map(|c| Field::new(*c, DataType::Date32, false))
            .collect::<Vec<_>>(),
    ))
}

impl PreparedCatalogue {
    /// Plans every query of `catalogue`. A user indicator whose SQL does not plan is refused
    /// here, naming its file, as the store-wide run refuses it.
    pub async fn new(catalogue: Catalogue) -> Result<PreparedCatalogue, IndicatorError> {
        let mut config = SessionConfig::new().with_target_partitions(1);
        // A plan that pushes filters found at run time into its scans cannot run twice.
        config
            .options_mut()
            .optimizer
            .enable_dynamic_filter_pushdown = false;
        let session = SessionContext::new_with_config(config);
        let slot = |name: &str, schema: SchemaRef| {
            session
                .register_table(
                    name,
                    Arc::new(Slot {
                        name: name.to_string(),
                        schema,
                    }),
                )
                .map(|_| ())
                .map_err(engine(name))
        };
        for source in xinrong_sources::SOURCES {
            slot(source.name, nullable(&source_schema(source)))?;
        }
        let windows: Vec<u32> = catalogue
            .queries
            .iter()
            .map(|q| q.window)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for &w in &windows {
            slot(&dates_table(w), dates_schema())?;
        }
        let base = IndicatorTable {
            as_of: NaiveDate::default(),
            uscc: Vec::new(),
            columns: catalogue
                .indicators
                .iter()
                .map(|i| (i.id.clone(), Vec::new()))
                .collect(),
        };
        slot("indicators", base.to_batch().schema())?;

        let mut families = Vec::with_capacity(catalogue.queries.len());
        for query in &catalogue.queries {
            let sql = family_sql(query, &catalogue, &DateTerms::Joined);
            let context = family_context(query);
            families.push((plan(&session, &sql, &context).await?, context));
        }
        let mut user = Vec::with_capacity(catalogue.user.len());
        for &u in &catalogue.user {
            let meta = &catalogue.indicators[u];
            let planned = plan(&session, &meta.sql, &user_context(meta)).await;
            user.push(planned.map_err(|e| user_error(meta, e))?);
        }
        let derived = if catalogue.derived.is_empty() {
            None
        } else {
            Some(plan(&session, &derived_sql(&catalogue), "derived indicators").await?)
        };
        Ok(PreparedCatalogue {
            catalogue,
            session,
            families,
            user,
            derived,
            windows,
        })
    }

    /// The catalogue the plans compute.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The enterprise's indicators as of `as_of`: the values the store-wide run
    /// ([`crate::compute`]) gives it. Runs inside a Tokio runtime (half of the plans on a
    /// spawned task).
    pub async fn compute(
        &self,
        data: &EnterpriseData,
        as_of: NaiveDate,
    ) -> Result<IndicatorTable, IndicatorError> {
        let mut rows = HashMap::new();
        for (source, _, batches) in &data.tables {
            rows.insert(source.name.to_string(), visible(source, batches, as_of)?);
        }
        for &w in &self.windows {
            let d = WindowDates::new(as_of, w);
            let column = |date: NaiveDate| -> Arc<dyn datafusion::arrow::array::Array> {
                Arc::new(Date32Array::from(vec![epoch_days(date)]))
            };
            let batch = RecordBatch::try_new(
                dates_schema(),
                vec![
                    column(as_of),
                    column(d.start),
                    column(d.mid),
                    column(d.month),
                ],
            )
            .map_err(|e| engine("dates")(e.into()))?;
            rows.insert(dates_table(w), vec![batch]);
        }
        let task = self.task(SlotRows(rows));
        let families = self.run_families(&task).await?;
        let queries = PreparedQueries {
            prepared: self,
            task,
            families: std::sync::Mutex::new(families.into_iter().map(Some).collect()),
        };
        compute_in(
            &queries,
            &self.catalogue,
            as_of,
            vec![data.uscc.clone()],
            |_, _| {},
        )
        .await
    }

    /// Every family plan run in `task`, half of them on another worker: a few milliseconds
    /// of work split over two cores.
    async fn run_families(&self, task: &Arc<TaskContext>) -> Result<Vec<Values>, IndicatorError> {
        let split = self.families.len() / 2;
        let (plans, task_2) = (self.families[split..].to_vec(), Arc::clone(task));
        let second = tokio::spawn(async move { execute_all(&plans, &task_2).await });
        let mut done = execute_all(&self.families[..split], task).await?;
        let rest = second
            .await
            .map_err(|e| IndicatorError::Store(e.to_string()))??;
        done.extend(rest);
        Ok(done)
    }

    /// A task whose slot tables hold `rows`.
    fn task(&self, rows: SlotRows) -> Arc<TaskContext> {
        let config = self.session.copied_config().with_extension(Arc::new(rows));
        Arc::new(TaskContext::from(&self.session.state()).with_session_config(config))
    }
}

/// A family query's plan and how errors name it.
type Planned = (Arc<dyn ExecutionPlan>, String);

/// Plans read-only SQL down to its physical plan.
async fn plan(
    session: &SessionContext,
    sql: &str,
    context: &str,
) -> Result<Arc<dyn ExecutionPlan>, IndicatorError> {
    let df = session
        .sql_with_options(sql, read_only())
        .await
        .map_err(engine(context))?;
    df.create_physical_plan().await.map_err(engine(context))
}

/// Runs a fresh copy of `plan` (operators that keep state between runs start anew).
async fn execute(
    plan: &Arc<dyn ExecutionPlan>,
    task: &Arc<TaskContext>,
    context: &str,
) -> Result<Values, IndicatorError> {
    let plan = reset_plan_states(Arc::clone(plan)).map_err(engine(context))?;
    let columns = plan.schema().fields().len();
    let batches = collect(plan, Arc::clone(task))
        .await
        .map_err(engine(context))?;
    values_of(batches, columns, context)
}

/// `plans` run one after the other.
async fn execute_all(
    plans: &[Planned],
    task: &Arc<TaskContext>,
) -> Result<Vec<Values>, IndicatorError> {
    let mut done = Vec::with_capacity(plans.len());
    for (plan, context) in plans {
        done.push(execute(plan, task, context).await?);
    }
    Ok(done)
}

/// A source's rows as the store-wide run's point-in-time view shows them: dated on or before
/// `as_of` (the rows are in the source's schema already, as [`crate::StoreReader`] reads them).
fn visible(
    source: &xinrong_sources::Source,
    batches: &[RecordBatch],
    as_of: NaiveDate,
) -> Result<Vec<RecordBatch>, IndicatorError> {
    let fail = |e: datafusion::arrow::error::ArrowError| engine(source.name)(e.into());
    let cutoff = Date32Array::new_scalar(epoch_days(as_of));
    batches
        .iter()
        .map(|batch| {
            let date = batch.schema().index_of(source.date_field).map_err(fail)?;
            let keep = lt_eq(batch.column(date), &cutoff).map_err(fail)?;
            filter_record_batch(batch, &keep).map_err(fail)
        })
        .collect()
}

/// The prepared plans run over one enterprise's rows.
struct PreparedQueries<'a> {
    prepared: &'a PreparedCatalogue,
    task: Arc<TaskContext>,
    /// The family queries' results, run beforehand ([`PreparedCatalogue::run_families`]).
    families: std::sync::Mutex<Vec<Option<Values>>>,
}

impl Queries for PreparedQueries<'_> {
    async fn family(&self, q: usize) -> Result<Values, IndicatorError> {
        let mut families = self.families.lock().unwrap_or_else(|p| p.into_inner());
        Ok(families[q].take().expect("each family is read once"))
    }

    async fn user(&self, u: usize) -> Result<Values, IndicatorError> {
        let meta = &self.prepared.catalogue.indicators[self.prepared.catalogue.user[u]];
        execute(&self.prepared.user[u], &self.task, &user_context(meta)).await
    }

    async fn derived(&self, base: RecordBatch) -> Result<Values, IndicatorError> {
        let plan = self
            .prepared
            .derived
            .as_ref()
            .expect("planned when the catalogue has derived indicators");
        let rows = SlotRows(HashMap::from([("indicators".to_string(), vec![base])]));
        execute(plan, &self.prepared.task(rows), "derived indicators").await
    }
}
