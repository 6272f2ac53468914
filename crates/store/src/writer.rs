//! The single writer thread and the read path.
//!
//! SQLite allows one writer at a time; funnelling every write through one
//! thread makes that explicit, keeps blocking work off the async runtime, and
//! lets a job hold a transaction for exactly as long as it needs.

use crate::{db, Result, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    jobs: mpsc::Sender<Job>,
    readers: Mutex<Vec<Connection>>,
    data_dir: PathBuf,
}

impl Store {
    /// Opens the database in `data_dir`, migrates it, and starts the writer.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let mut conn = db::open_connection(data_dir)?;
        db::migrate(&mut conn)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("causeway-db-writer".into())
            .spawn(move || {
                for job in rx {
                    job(&mut conn);
                }
            })
            .map_err(|e| StoreError::Invalid(format!("cannot start the writer thread: {e}")))?;
        Ok(Store {
            inner: Arc::new(Inner {
                jobs,
                readers: Mutex::new(Vec::new()),
                data_dir: data_dir.to_path_buf(),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Runs `f` on the writer thread and waits for its result without blocking
    /// the async runtime.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner
            .jobs
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    /// The same, for callers outside an async runtime (the CLI).
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        self.inner
            .jobs
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| StoreError::WriterGone)?;
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
