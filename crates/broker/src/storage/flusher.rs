//! The log directory's flusher: one thread that does every fsync, checkpoint write and file
//! deletion, so no tokio worker waits on the disk for them. Each job gets a ticket. A round takes
//! every job waiting (group commit: appends that arrive while an fsync runs share the next one;
//! with group commit off, one job per round) and then publishes the highest ticket it completed,
//! which async and blocking callers wait for. An fsync that fails leaves the directory failed for
//! good: data it covered may be lost, and every later append and wait reports it.

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

use super::checkpoint::{self, LogMarks, Registry};
use super::StorageError;

/// Work for the flusher.
#[derive(Debug)]
pub enum Job {
    /// fsync the files, then the directory if given (new or removed entries), then move a log's
    /// recovery point to the offset.
    Sync {
        files: Vec<Arc<File>>,
        dir: Option<PathBuf>,
        recovered: Option<(Arc<LogMarks>, i64)>,
    },
    /// Rewrite the recovery point and log start checkpoints.
    Checkpoints,
    /// Delete files no log refers to any more.
    Delete(Vec<PathBuf>),
    /// Delete a directory and everything in it (a deleted topic's partition).
    RemoveDir(PathBuf),
}

#[derive(Debug, Default)]
struct Queue {
    jobs: VecDeque<(u64, Job)>,
    issued: u64,
    /// The last ticket a request's answer waits for (see [`Flusher::request_awaited`]).
    awaited: u64,
    stopped: bool,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    registry: Arc<Registry>,
    group_commit: bool,
    queue: Mutex<Queue>,
    wake: Condvar,
    done: watch::Sender<u64>,
    failure: OnceLock<String>,
}

/// A handle on the flusher. Cheap to clone; the thread stops with [`Flusher::stop`].
#[derive(Debug, Clone)]
pub struct Flusher {
    shared: Arc<Shared>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Flusher {
    /// Starts the flusher thread of the log directory `dir`.
    pub fn start(dir: &Path, registry: Arc<Registry>, group_commit: bool) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            registry,
            group_commit,
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            done: watch::Sender::new(0),
            failure: OnceLock::new(),
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ferrokafka-flusher".to_string())
            .spawn(move || run(&worker))?;
        Ok(Flusher {
            shared,
            thread: Arc::new(Mutex::new(Some(thread))),
        })
    }

    /// Queues a job and returns its ticket. Once stopped, runs it at once on this thread.
    pub fn request(&self, job: Job) -> u64 {
        self.enqueue(job, false)
    }

    /// Queues a job that the answer to a request must wait for (an fsync the flush policy asks
    /// for, a moved log start offset), so [`Flusher::awaited`] covers it.
    pub fn request_awaited(&self, job: Job) -> u64 {
        self.enqueue(job, true)
    }

    fn enqueue(&self, job: Job, awaited: bool) -> u64 {
        let mut queue = self.shared.queue.lock();
        queue.issued += 1;
        let ticket = queue.issued;
        if awaited {
            queue.awaited = ticket;
        }
        if queue.stopped {
            drop(queue);
            complete(&self.shared, vec![(ticket, job)]);
            return ticket;
        }
        queue.jobs.push_back((ticket, job));
        self.shared.wake.notify_one();
        ticket
    }

    /// The last ticket handed out for a job a request waits for.
    pub fn awaited(&self) -> u64 {
        self.shared.queue.lock().awaited
    }

    /// Waits until the job with `ticket` (and every earlier one) is done.
    pub async fn wait(&self, ticket: u64) -> Result<(), StorageError> {
        let mut done = self.shared.done.subscribe();
        let _ = done.wait_for(|done| *done >= ticket).await;
        self.check()
    }

    /// [`Flusher::wait`] for threads outside the runtime.
    pub fn wait_blocking(&self, ticket: u64) -> Result<(), StorageError> {
        futures::executor::block_on(self.wait(ticket))
    }

    /// The failure that took the directory out of service, if one did.
    pub fn check(&self) -> Result<(), StorageError> {
        match self.shared.failure.get() {
            Some(message) => Err(StorageError::new(message.clone())),
            None => Ok(()),
        }
    }

    /// Records a failure that makes the directory unusable.
    pub fn fail(&self, message: String) {
        fail(&self.shared, message);
    }

    /// Finishes every queued job and stops the thread.
    pub fn stop(&self) {
        self.shared.queue.lock().stopped = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

fn fail(shared: &Shared, message: String) {
    tracing::error!(dir = %shared.dir.display(), %message, "log directory failed");
    let _ = shared.failure.set(message);
}

fn run(shared: &Shared) {
    loop {
        let round: Vec<(u64, Job)> = {
            let mut queue = shared.queue.lock();
            while queue.jobs.is_empty() && !queue.stopped {
                shared.wake.wait(&mut queue);
            }
            if queue.jobs.is_empty() {
                return;
            }
            if shared.group_commit {
                queue.jobs.drain(..).collect()
            } else {
                queue.jobs.pop_front().into_iter().collect()
            }
        };
        complete(shared, round);
    }
}

/// Runs a round of jobs: fsyncs (each file once), recovery points, checkpoints, deletions; then
/// publishes its last ticket.
fn complete(shared: &Shared, round: Vec<(u64, Job)>) {
    let Some(last) = round.last().map(|(ticket, _)| *ticket) else {
        return;
    };
    let mut files: Vec<Arc<File>> = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut recovered = Vec::new();
    let mut checkpoints = false;
    let mut deletions = Vec::new();
    for (_, job) in round {
        match job {
            Job::Sync {
                files: more,
                dir,
                recovered: marks,
            } => {
                for file in more {
                    if !files.iter().any(|f| Arc::ptr_eq(f, &file)) {
                        files.push(file);
                    }
                }
                dirs.extend(dir.filter(|d| !dirs.contains(d)));
                recovered.extend(marks);
            }
            Job::Checkpoints => checkpoints = true,
            job => deletions.push(job),
        }
    }
    let synced = files.iter().try_for_each(|f| f.sync_data()).and_then(|()| {
        // A directory removed since (a deleted topic's) has nothing left to make durable.
        dirs.iter().try_for_each(|d| match checkpoint::sync_dir(d) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            synced => synced,
        })
    });
    match synced {
        Ok(()) => {
            for (marks, offset) in recovered {
                marks.advance_recovery_point(offset);
            }
        }
        Err(error) => fail(shared, format!("fsync failed: {error}")),
    }
    if checkpoints {
        if let Err(error) = shared.registry.write_checkpoints(&shared.dir) {
            fail(shared, format!("writing the checkpoints failed: {error}"));
        }
    }
    for job in deletions {
        let (path, removed) = match job {
            Job::Delete(paths) => {
                for path in paths {
                    if let Err(error) = std::fs::remove_file(&path) {
                        if error.kind() != std::io::ErrorKind::NotFound {
                            tracing::warn!(path = %path.display(), %error, "cannot delete file");
                        }
                    }
                }
                continue;
            }
            Job::RemoveDir(path) => {
                let removed = std::fs::remove_dir_all(&path);
                (path, removed)
            }
            _ => continue,
        };
        if let Err(error) = removed {
            tracing::warn!(path = %path.display(), %error, "cannot delete directory");
        }
    }
    shared.done.send_replace(last);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tickets_complete_in_order_and_move_recovery_points() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Arc::new(Registry::default());
        let marks = registry.register("t", 0, 0, 0);
        for group_commit in [true, false] {
            let flusher = Flusher::start(dir.path(), registry.clone(), group_commit).unwrap();
            let file = Arc::new(File::create(dir.path().join("f")).unwrap());
            let mut last = 0;
            for offset in 1..=20 {
                last = flusher.request(Job::Sync {
                    files: vec![file.clone()],
                    dir: Some(dir.path().to_path_buf()),
                    recovered: Some((marks.clone(), offset)),
                });
            }
            let checkpoint = flusher.request(Job::Checkpoints);
            flusher.wait(last).await.unwrap();
            assert_eq!(marks.recovery_point(), 20);
            flusher.wait(checkpoint).await.unwrap();
            let written = checkpoint::read(dir.path(), checkpoint::RECOVERY_POINTS).unwrap();
            assert_eq!(written[&("t".to_string(), 0)], 20);
            flusher.stop();
            let after = flusher.request(Job::Delete(vec![dir.path().join("f")]));
            flusher.wait_blocking(after).unwrap();
            assert!(!dir.path().join("f").exists());
        }
    }

    #[test]
    fn a_failure_is_reported_to_every_later_wait() {
        let dir = tempfile::tempdir().unwrap();
        let flusher = Flusher::start(dir.path(), Arc::default(), true).unwrap();
        flusher.fail("disk on fire".to_string());
        let ticket = flusher.request(Job::Checkpoints);
        let error = flusher.wait_blocking(ticket).unwrap_err();
        assert!(error.to_string().contains("disk on fire"));
        flusher.stop();
    }
}
