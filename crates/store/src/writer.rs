//! The single writer thread and the read path.
//!
//! SQLite allows one writer at a time; funnelling every write through one
//! thread makes that explicit, keeps blocking work off the async runtime, and
//! lets a job hold a transaction for exactly as long as it needs.
//!
//! The writer has two lanes. Intake (a webhook body that must be committed
//! before its sender is answered) goes first: whatever intake is waiting when
//! the writer is free is committed together in one transaction (group
//! commit), so a flood of small webhooks costs one commit per batch rather
//! than one per request, and a sender never waits behind more than one
//! processing job. Every other write is a job, run in order.
//!
//! Long jobs (inbox processing) ask [`Store::intake_waiting`] between items
//! and commit early when a sender is waiting, and after an intake batch the
//! writer lingers a moment for the next one before starting a job: senders
//! on keep-alive connections send again as soon as they are answered.
//! Checkpoints of the write-ahead log (copying it into the database file,
//! with two fsyncs) run on their own thread, so no commit waits for a disk
//! flush; once the writer has been idle a moment, a truncating checkpoint
//! gives the log's space back (a storm may grow it, it does not stay big).
//!
//! An intake commit is flushed to disk before its senders are answered: a
//! 202 survives a power cut, not only a crash. The flush (of the
//! write-ahead log, what `synchronous=FULL` would do) runs on its own
//! thread and answers every sender committed before it, so the writer goes
//! on meanwhile. Processing commits are not waited for: what they write can
//! be redone from the inbox. `CAUSEWAY_INTAKE_SYNC=normal` turns the flush
//! off (to measure what it costs).
//!
//! A job that panics is contained: the writer logs it, rolls its
//! transaction back and goes on with the next job.

use crate::inbox::{self, NewInbox};
use crate::{db, webhook_deliveries, Result, StoreError};
use rusqlite::Connection;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// What became of a body handed to [`Store::intake`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// Committed as this inbox row.
    Inserted(i64),
    /// A re-send of a delivery id already taken in (as this inbox row, when
    /// known): nothing was stored.
    Duplicate(Option<i64>),
}

struct IntakeJob {
    row: NewInbox,
    done: tokio::sync::oneshot::Sender<Result<Intake>>,
}

/// Most intake rows committed in one transaction: bounds how long the first
/// sender of a batch waits for the last one's bytes to be written.
const INTAKE_BATCH: usize = 512;
/// After an intake batch, how long the writer waits for more intake before
/// it turns to other jobs.
const LINGER: Duration = Duration::from_micros(300);
/// How often the checkpointer looks at the write-ahead log.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// After this many checkpointer turns without a write, the log is truncated.
const IDLE_TURNS_BEFORE_TRUNCATE: u32 = 4;

#[derive(Default)]
struct Lanes {
    intake: Vec<IntakeJob>,
    jobs: VecDeque<Job>,
    closed: bool,
}

#[derive(Default)]
struct Queue {
    lanes: Mutex<Lanes>,
    ready: Condvar,
    /// Intake jobs queued and not yet taken, readable without the lock.
    intake_waiting: AtomicUsize,
    /// Work items the writer finished: the checkpointer truncates the log
    /// once this stops moving.
    done: AtomicU64,
}

enum Work {
    Intake(Vec<IntakeJob>),
    Job(Job),
}

impl Queue {
    fn push(&self, f: impl FnOnce(&mut Lanes)) -> Result<()> {
        let mut lanes = self.lanes.lock().map_err(|_| StoreError::WriterGone)?;
        if lanes.closed {
            return Err(StoreError::WriterGone);
        }
        f(&mut lanes);
        drop(lanes);
        self.ready.notify_one();
        Ok(())
    }

    /// The next thing to do, intake first; `None` once closed and drained.
    /// `lingering` (just after an intake batch): wait up to [`LINGER`] for
    /// more intake before taking a job.
    fn next(&self, lingering: bool) -> Option<Work> {
        let mut lanes = self.lanes.lock().ok()?;
        let linger_until = lingering.then(|| Instant::now() + LINGER);
        loop {
            if !lanes.intake.is_empty() {
                let n = lanes.intake.len().min(INTAKE_BATCH);
                self.intake_waiting.fetch_sub(n, Ordering::Relaxed);
                return Some(Work::Intake(lanes.intake.drain(..n).collect()));
            }
            if let Some(until) = linger_until.filter(|_| !lanes.closed) {
                let left = until.saturating_duration_since(Instant::now());
                if !left.is_zero() {
                    lanes = self.ready.wait_timeout(lanes, left).ok()?.0;
                    continue;
                }
            }
            if let Some(job) = lanes.jobs.pop_front() {
                return Some(Work::Job(job));
            }
            if lanes.closed {
                return None;
            }
            lanes = self.ready.wait(lanes).ok()?;
        }
    }

    fn close(&self) {
        if let Ok(mut lanes) = self.lanes.lock() {
            lanes.closed = true;
        }
        self.ready.notify_all();
    }
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    queue: Arc<Queue>,
    /// Team mode: intake goes to the team outbox, not the inbox (the team
    /// log brings it back into the inbox, in the log's order).
    outbox: Arc<std::sync::atomic::AtomicBool>,
    readers: Mutex<Vec<Connection>>,
    data_dir: PathBuf,
}

impl Drop for Inner {
    /// The last handle is gone: the writer finishes what is queued and stops.
    fn drop(&mut self) {
        self.queue.close();
    }
}

impl Store {
    /// Opens the database in `data_dir`, migrates it, and starts the writer.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let mut conn = db::open_connection(data_dir)?;
        db::migrate(&mut conn)?;
        // Checkpoints are the checkpointer's job (below), never a commit's.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // The writer's page cache holds a processing batch's pages: with
        // SQLite's default 2 MB a batch spilled dirty pages into the log
        // before its commit and read the same pages back from the disk.
        conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
        let durable = std::env::var("CAUSEWAY_INTAKE_SYNC")
            .map_or(true, |v| !v.eq_ignore_ascii_case("normal"));
        let wal = wal_path(data_dir);
        let flusher = durable.then(|| Flusher::spawn(wal.clone())).transpose()?;
        let queue = Arc::new(Queue::default());
        let q = queue.clone();
        let outbox = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let to_outbox = outbox.clone();
        std::thread::Builder::new()
            .name("causeway-db-writer".into())
            .spawn(move || {
                let mut lingering = false;
                while let Some(work) = q.next(lingering) {
                    lingering = matches!(work, Work::Intake(_));
                    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        match work {
                            Work::Intake(batch) => commit_intake(
                                &mut conn,
                                batch,
                                flusher.as_ref(),
                                to_outbox.load(Ordering::SeqCst),
                            ),
                            Work::Job(job) => job(&mut conn),
                        }
                    }));
                    if let Err(panic) = ran {
                        // Its transaction rolled back as it unwound; its
                        // caller hears that the writer could not answer.
                        tracing::error!(panic = %panic_message(&*panic), "a database job panicked; the writer goes on");
                        let _ = conn.execute_batch("ROLLBACK");
                    }
                    q.done.fetch_add(1, Ordering::Relaxed);
                    restart_log_if_over(&conn, &wal);
                }
            })
            .map_err(|e| StoreError::Invalid(format!("cannot start the writer thread: {e}")))?;
        spawn_checkpointer(data_dir, Arc::downgrade(&queue))?;
        Ok(Store {
            inner: Arc::new(Inner {
                queue,
                outbox,
                readers: Mutex::new(Vec::new()),
                data_dir: data_dir.to_path_buf(),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Team mode: from now on intake is committed to the team outbox
    /// instead of the inbox.
    pub fn set_outbox(&self, on: bool) {
        self.inner.outbox.store(on, Ordering::SeqCst);
    }

    /// Whether intake goes to the team outbox.
    pub fn outbox(&self) -> bool {
        self.inner.outbox.load(Ordering::SeqCst)
    }

    /// Commits a received body to the inbox (group-committed with whatever
    /// else is arriving) and returns once it is durable. A body whose
    /// `delivery_id` was taken in before is not stored again.
    pub async fn intake(&self, row: NewInbox) -> Result<Intake> {
        let (done, rx) = tokio::sync::oneshot::channel();
        let queue = &self.inner.queue;
        queue.push(|l| {
            l.intake.push(IntakeJob { row, done });
            queue.intake_waiting.fetch_add(1, Ordering::Relaxed);
        })?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Whether a sender waits for its intake to be committed: a long job on
    /// the writer thread should commit what it has and return.
    pub fn intake_waiting(&self) -> bool {
        self.inner.queue.intake_waiting.load(Ordering::Relaxed) > 0
    }

    /// Runs `f` on the writer thread and waits for its result without blocking
    /// the async runtime.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner.queue.push(|l| {
            l.jobs.push_back(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
        })?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    /// The same, for callers outside an async runtime (the CLI).
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        self.inner.queue.push(|l| {
            l.jobs.push_back(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
        })?;
        rx.recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Runs a read on a pooled connection (WAL lets reads run beside the writer).
    pub fn read_blocking<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Connection) -> Result<T>,
    {
        let pooled = self.inner.readers.lock().ok().and_then(|mut v| v.pop());
        let conn = match pooled {
            Some(c) => c,
            None => db::open_connection(&self.inner.data_dir)?,
        };
        let out = f(&conn);
        if let Ok(mut v) = self.inner.readers.lock() {
            if v.len() < 4 {
                v.push(conn);
            }
        }
        out
    }

    /// [`Store::read_blocking`] off the async threads.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(f))
            .await
            .map_err(|_| StoreError::WriterGone)?
    }
}

/// The writer connection's page cache, KiB (a negative `cache_size`).
const WRITER_CACHE_KIB: i64 = -32 * 1024;

/// What a panic carried, for the log.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Checkpoints the write-ahead log from its own connection, off the writer
/// thread, until the store is dropped. PASSIVE never blocks the writer or
/// readers; when no reader holds an old snapshot it also lets the log
/// start over from the beginning. Once the writer has done nothing for a
/// second, a TRUNCATE checkpoint empties the file (`journal_size_limit`
/// alone only trims it when the log restarts): after a storm the log goes
/// back to nothing instead of staying at its peak. During a storm, the
/// writer restarts a log over the limit itself ([`restart_log_if_over`]).
fn spawn_checkpointer(data_dir: &Path, queue: std::sync::Weak<Queue>) -> Result<()> {
    let conn = db::open_connection(data_dir)?;
    // Never wait for a busy lock here: the next turn tries again.
    conn.busy_timeout(Duration::ZERO)?;
    std::thread::Builder::new()
        .name("causeway-db-checkpoint".into())
        .spawn(move || {
            let (mut seen, mut idle, mut truncated) = (u64::MAX, 0u32, false);
            while let Some(q) = queue.upgrade() {
                let done = q.done.load(Ordering::Relaxed);
                drop(q);
                std::thread::sleep(CHECKPOINT_EVERY);
                if done == seen {
                    idle += 1;
                } else {
                    (seen, idle, truncated) = (done, 0, false);
                }
                let mode = if idle >= IDLE_TURNS_BEFORE_TRUNCATE && !truncated {
                    "TRUNCATE"
                } else {
                    "PASSIVE"
                };
                // (busy, frames in the log, frames checkpointed)
                match conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
                    r.get::<_, i64>(0)
                }) {
                    Ok(busy) => truncated |= mode == "TRUNCATE" && busy == 0,
                    Err(e) => {
                        tracing::warn!(error = %e, "write-ahead log checkpoint failed; will retry")
                    }
                }
            }
        })
        .map_err(|e| StoreError::Invalid(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(())
}

fn wal_path(data_dir: &Path) -> PathBuf {
    data_dir.join(format!("{}-wal", db::DB_FILE))
}

/// Under a steady stream a PASSIVE checkpoint never catches up with the
/// writer, so the log never starts over and grows; every write then lands
/// on new file blocks the file system zeroes first (a tenth of the writer's
/// time in a long storm). So when the log is over its limit, the writer
/// itself checkpoints between two jobs and lets the log start over at the
/// limit. Done from the checkpointer's connection, the same RESTART held
/// the write lock for as long as it copied the log: under a storm's disk
/// load that outlasted the writer's busy timeout, the processing
/// transaction failed with "database is locked", and each failure cost a
/// reload of the engine and a replay of everything since its last save.
/// Here nothing else writes meanwhile, and the checkpointer's PASSIVE turns
/// have copied most of the log already.
fn restart_log_if_over(conn: &Connection, wal: &Path) {
    if !std::fs::metadata(wal).is_ok_and(|m| m.len() as i64 > db::WAL_LIMIT_BYTES) {
        return;
    }
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0)) {
        tracing::warn!(error = %e, "write-ahead log checkpoint failed; will retry");
    }
}

/// What a sender of intake is told.
type Answer = (tokio::sync::oneshot::Sender<Result<Intake>>, Result<Intake>);

/// Flushes the write-ahead log to disk on its own thread, then answers the
/// senders whose intake was committed before the flush: a 202 survives a
/// power cut, and the writer never waits for the disk. (With
/// `synchronous=FULL` on intake commits, the writer flushed every one
/// itself; under a storm that was about a third of its time, taken from
/// processing.) One flush answers every commit before it, so under load
/// each flush covers many.
struct Flusher {
    queue: mpsc::Sender<Vec<Answer>>,
}

impl Flusher {
    fn spawn(wal: PathBuf) -> Result<Flusher> {
        let (queue, rx) = mpsc::channel::<Vec<Answer>>();
        std::thread::Builder::new()
            .name("causeway-db-flush".into())
            .spawn(move || {
                // Ends when the writer (the only sender) is gone.
                while let Ok(first) = rx.recv() {
                    let mut answers = first;
                    while let Ok(more) = rx.try_recv() {
                        answers.extend(more);
                    }
                    let flushed = flush(&wal);
                    if let Err(e) = &flushed {
                        tracing::error!(error = %e, "cannot flush the write-ahead log; intake is answered with an error");
                    }
                    for (done, outcome) in answers {
                        let outcome = match (&flushed, outcome) {
                            (Err(e), Ok(_)) => Err(StoreError::Invalid(format!(
                                "cannot flush intake to disk: {e}"
                            ))),
                            (_, outcome) => outcome,
                        };
                        let _ = done.send(outcome);
                    }
                }
            })
            .map_err(|e| StoreError::Invalid(format!("cannot start the flush thread: {e}")))?;
        Ok(Flusher { queue })
    }

    /// Answers once what is committed now is on disk.
    fn answer(&self, answers: Vec<Answer>) {
        if let Err(mpsc::SendError(answers)) = self.queue.send(answers) {
            for (done, _) in answers {
                let _ = done.send(Err(StoreError::WriterGone));
            }
        }
    }
}

/// What `synchronous=FULL` does after a commit: the log's data on disk. Any
/// descriptor of the file will do; a checkpoint that restarted the log
/// meanwhile synced it (and the database) before it did.
fn flush(wal: &Path) -> std::io::Result<()> {
    std::fs::File::open(wal)?.sync_data()
}

/// Commits a batch of intake in one transaction and answers each sender,
/// after the `flusher` flushed it when there is one. If the batch fails as
/// a whole (one row's instance was deleted meanwhile, the disk is full...),
/// each row is tried alone so one bad row fails only its own sender.
fn commit_intake(
    conn: &mut Connection,
    batch: Vec<IntakeJob>,
    flusher: Option<&Flusher>,
    outbox: bool,
) {
    let answers = commit_intake_rows(conn, batch, outbox);
    match flusher {
        Some(f) => f.answer(answers),
        None => {
            for (done, outcome) in answers {
                let _ = done.send(outcome);
            }
        }
    }
}

fn commit_intake_rows(conn: &mut Connection, batch: Vec<IntakeJob>, outbox: bool) -> Vec<Answer> {
    let together = (|| -> Result<Vec<Intake>> {
        let tx = conn.transaction()?;
        let out = batch
            .iter()
            .map(|j| insert_one(&tx, &j.row, outbox))
            .collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(out)
    })();
    match together {
        Ok(outcomes) => batch
            .into_iter()
            .zip(outcomes)
            .map(|(job, outcome)| (job.done, Ok(outcome)))
            .collect(),
        Err(e) => {
            tracing::warn!(rows = batch.len(), error = %e, "intake batch failed; committing its rows one by one");
            batch
                .into_iter()
                .map(|job| {
                    let one = (|| {
                        let tx = conn.transaction()?;
                        let out = insert_one(&tx, &job.row, outbox)?;
                        tx.commit()?;
                        Ok(out)
                    })();
                    (job.done, one)
                })
                .collect()
        }
    }
}

fn insert_one(conn: &Connection, row: &NewInbox, outbox: bool) -> Result<Intake> {
    if let Some(d) = &row.delivery_id {
        if let Some(earlier) = webhook_deliveries::seen(conn, &row.instance_id, d)? {
            return Ok(Intake::Duplicate(earlier));
        }
    }
    let id = if outbox {
        crate::team_outbox::insert(
            conn,
            &crate::team_outbox::NewOutbox {
                kind: "raw".into(),
                instance_id: Some(row.instance_id.clone()),
                connector_id: Some(row.connector_id.clone()),
                project_id: Some(row.project_id.clone()),
                received_at: row.received_at.clone(),
                headers: row.headers.clone(),
                body: row.body.clone(),
            },
        )?
    } else {
        inbox::insert_row(conn, row)?
    };
    if let Some(d) = &row.delivery_id {
        webhook_deliveries::insert(conn, &row.instance_id, d, id, &row.received_at)?;
    }
    Ok(Intake::Inserted(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(delivery: Option<&str>, body: &[u8]) -> NewInbox {
        NewInbox {
            instance_id: "default-alertmanager".into(),
            connector_id: "alertmanager".into(),
            project_id: "default".into(),
            received_at: "2026-01-01T00:00:00.000Z".into(),
            headers: "{}".into(),
            body: body.to_vec(),
            delivery_id: delivery.map(str::to_string),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_intake_is_committed_and_deduplicated_by_delivery_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut tasks = Vec::new();
        for i in 0..200 {
            let s = store.clone();
            // Every fourth body repeats delivery "d-0".
            let delivery = if i % 4 == 0 {
                "d-0".to_string()
            } else {
                format!("d-{i}")
            };
            tasks.push(tokio::spawn(async move {
                s.intake(row(Some(&delivery), format!("{{\"n\":{i}}}").as_bytes()))
                    .await
            }));
        }
        let mut inserted = Vec::new();
        let mut duplicates = 0;
        for t in tasks {
            match t.await.unwrap().unwrap() {
                Intake::Inserted(id) => inserted.push(id),
                Intake::Duplicate(Some(_)) => duplicates += 1,
                Intake::Duplicate(None) => panic!("a duplicate names its first row"),
            }
        }
        assert_eq!(inserted.len(), 151, "150 distinct ids plus the first d-0");
        assert_eq!(duplicates, 49);
        inserted.sort_unstable();
        inserted.dedup();
        assert_eq!(inserted.len(), 151, "each insert got its own row");
        let rows: i64 = store.read_blocking(inbox::count).unwrap();
        assert_eq!(rows, 151, "what was answered as committed is in the file");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_bad_row_fails_alone_and_the_batch_still_lands() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // Hold the writer so the next three arrive as one batch.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let hold = tokio::spawn({
            let s = store.clone();
            async move {
                s.write(move |_| {
                    let _ = wait.recv();
                    Ok(())
                })
                .await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let good = tokio::spawn({
            let s = store.clone();
            async move { s.intake(row(None, b"{}")).await }
        });
        let bad = tokio::spawn({
            let s = store.clone();
            let mut r = row(None, b"{}");
            r.instance_id = "no-such-instance".into();
            async move { s.intake(r).await }
        });
        let good2 = tokio::spawn({
            let s = store.clone();
            async move { s.intake(row(None, b"[]")).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        release.send(()).unwrap();
        hold.await.unwrap().unwrap();
        assert!(matches!(good.await.unwrap(), Ok(Intake::Inserted(_))));
        assert!(matches!(good2.await.unwrap(), Ok(Intake::Inserted(_))));
        assert!(
            bad.await.unwrap().is_err(),
            "a row for an unknown instance breaks the foreign key"
        );
        let rows: i64 = store.read_blocking(inbox::count).unwrap();
        assert_eq!(rows, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_is_contained_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let panicked = store
            .write(|conn| -> Result<()> {
                let tx = conn.transaction()?;
                inbox::insert_row(&tx, &row(None, b"{}"))?;
                panic!("boom in a job");
            })
            .await;
        assert!(panicked.is_err(), "its caller hears it failed");
        // The writer is still there, and the panicking job's row rolled back.
        let after = store.intake(row(None, b"[]")).await.unwrap();
        assert!(matches!(after, Intake::Inserted(_)));
        assert_eq!(store.read_blocking(inbox::count).unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_is_truncated_once_the_writer_is_idle() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let wal = dir.path().join(format!("{}-wal", db::DB_FILE));
        let big = vec![b'x'; 100_000];
        for _ in 0..50 {
            store.intake(row(None, &big)).await.unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let len = std::fs::metadata(&wal).map_or(0, |m| m.len());
            if len == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the log still holds {len} bytes");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(store.read_blocking(inbox::count).unwrap(), 50);
    }

    /// Bytes no compression shrinks (xorshift).
    fn noise(len: usize) -> Vec<u8> {
        static SEED: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
        let mut x = SEED.fetch_add(0x9e37_79b9, Ordering::Relaxed);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// A storm never leaves the writer idle, so only the writer's own
    /// checkpoint lets the log start over; readers come and go meanwhile.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_a_steady_stream_the_log_starts_over_at_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let wal = wal_path(dir.path());
        let reading = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let reader = std::thread::spawn({
            let (store, reading) = (store.clone(), reading.clone());
            move || {
                let mut reads = 0;
                while reading.load(Ordering::Relaxed) {
                    store.read_blocking(inbox::count).unwrap();
                    reads += 1;
                }
                reads
            }
        });
        // All queued at once: the writer always has the next commit.
        let jobs: Vec<_> = (0..40)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .write(|conn| -> Result<()> {
                            let tx = conn.transaction()?;
                            for _ in 0..4 {
                                inbox::insert_row(&tx, &row(None, &noise(1 << 20)))?;
                            }
                            Ok(tx.commit()?)
                        })
                        .await
                })
            })
            .collect();
        let mut largest = 0;
        while jobs.iter().any(|j| !j.is_finished()) {
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for j in jobs {
            j.await.unwrap().unwrap();
        }
        reading.store(false, Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
        assert_eq!(store.read_blocking(inbox::count).unwrap(), 160);
        // 160 MiB went through it; it restarted at 64 MiB plus a commit or
        // three (a reader's snapshot can hold a restart back until the
        // writer's next turn; each commit is 4 MiB and its pages).
        let limit = db::WAL_LIMIT_BYTES as u64;
        assert!(
            largest < limit + (16 << 20),
            "the log reached {} MiB",
            largest >> 20
        );
    }

    /// A sender is told its intake was taken in only once it is on disk:
    /// a flush that fails turns the answer into an error (the sender
    /// retries; nothing it was told is kept can be lost).
    #[tokio::test]
    async fn intake_whose_flush_fails_is_not_answered_as_taken_in() {
        let dir = tempfile::tempdir().unwrap();
        let flusher = Flusher::spawn(dir.path().join("no-such-wal")).unwrap();
        let (done, rx) = tokio::sync::oneshot::channel();
        let (dup, dup_rx) = tokio::sync::oneshot::channel();
        let (bad, bad_rx) = tokio::sync::oneshot::channel();
        flusher.answer(vec![
            (done, Ok(Intake::Inserted(7))),
            (dup, Ok(Intake::Duplicate(Some(3)))),
            (bad, Err(StoreError::Invalid("refused".into()))),
        ]);
        let e = rx.await.unwrap().unwrap_err().to_string();
        assert!(e.contains("cannot flush intake to disk"), "{e}");
        assert!(dup_rx.await.unwrap().is_err());
        assert_eq!(bad_rx.await.unwrap().unwrap_err().to_string(), "refused");
        // With the log there, the same answers go through as they are.
        std::fs::write(dir.path().join("wal"), b"frames").unwrap();
        let flusher = Flusher::spawn(dir.path().join("wal")).unwrap();
        let (done, rx) = tokio::sync::oneshot::channel();
        flusher.answer(vec![(done, Ok(Intake::Inserted(8)))]);
        assert_eq!(rx.await.unwrap().unwrap(), Intake::Inserted(8));
    }
}
