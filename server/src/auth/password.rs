//! Password hashing.
//!
//! bcrypt reads only the first 72 bytes of its input, so two long passphrases sharing a
//! prefix would be the same password. We feed it the base64 of HMAC-SHA256(pepper,
//! password) instead (44 bytes, whatever the password's length), as OWASP's password
//! storage cheat sheet describes; the pepper is a server secret, so a stolen database alone
//! is not enough to test guesses.
//!
//! bcrypt is slow on purpose (about 0.2 s at cost 12), so it never runs on the async
//! workers: it has a [`HashingPool`] of its own, as many threads as cores, at a lower
//! scheduling priority than the workers. Before it, each login took a thread of tokio's
//! blocking pool, which grows to 512: a storm of 32 logins meant 32 runnable bcrypt threads
//! beside 2 async workers, and every other request waited its turn among them (in the
//! benchmark's scenario 6, reads fell from 4 500/s to 55/s; `BENCHMARKS.md`).
//!
//! The pool's queue is bounded too ([`QUEUED_HASHES_PER_CORE`] jobs per core, running
//! ones included): a storm of logins for many accounts must not pile up minutes of
//! bcrypt work that answers clients long gone. When the queue is full, hashing fails at
//! once with [`ApiError::Unavailable`], a 503 with `Retry-After` — never a 401, which would
//! tell the client its password was wrong.

use std::{future::Future, sync::Arc};

use tokio::sync::Semaphore;

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{config::PasswordSettings, error::ApiError};

/// A bcrypt hash as stored in the database. Not `Serialize`: it never leaves the server.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// Hashes and verifies passwords with the server's pepper and cost.
#[derive(Clone)]
pub struct PasswordHasher {
    pepper: Arc<Vec<u8>>,
    cost: u32,
    /// A real hash of a random password, verified against when an email is unknown so
    /// that a failed login takes as long whether or not the account exists.
    dummy_hash: Arc<str>,
    pool: HashingPool,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// Builds the hasher and its thread pool, and computes its dummy hash.
    ///
    /// # Errors
    /// An [`ApiError::Internal`] if the pool's threads cannot start or bcrypt fails,
    /// which only an invalid cost can cause.
    pub async fn new(settings: &PasswordSettings) -> Result<Self, ApiError> {
        let pool = HashingPool::new()?;
        let pepper = Arc::new(settings.pepper.expose().to_vec());
        let cost = settings.bcrypt_cost;
        let dummy_input = prehash(&pepper, uuid::Uuid::new_v4().to_string().as_bytes());
        let dummy_hash = pool
            .run(move || bcrypt::hash(dummy_input, cost))?
            .await?
            .map_err(|e| ApiError::Internal(format!("bcrypt: {e}")))?;
        Ok(Self {
            pepper,
            cost,
            dummy_hash: dummy_hash.into(),
            pool,
        })
    }

    /// Hashes a new password.
    ///
    /// # Errors
    /// [`ApiError::Unavailable`] when the hashing queue is full; [`ApiError::Internal`]
    /// if bcrypt fails.
    pub async fn hash(&self, password: &str) -> Result<PasswordHash, ApiError> {
        let input = prehash(&self.pepper, password.as_bytes());
        let cost = self.cost;
        self.pool
            .run(move || bcrypt::hash(input, cost))?
            .await?
            .map(PasswordHash)
            .map_err(|e| ApiError::Internal(format!("bcrypt: {e}")))
    }

    /// Whether `password` is the one `hash` was made from. A malformed stored hash
    /// counts as a mismatch (and is logged).
    ///
    /// # Errors
    /// [`ApiError::Unavailable`] when the hashing queue is full; [`ApiError::Internal`]
    /// if the pool is gone.
    pub async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, ApiError> {
        let input = prehash(&self.pepper, password.as_bytes());
        let hash = hash.0.clone();
        let verified = self.pool.run(move || bcrypt::verify(input, &hash))?.await?;
        Ok(verified.unwrap_or_else(|e| {
            tracing::error!(error = %e, "stored password hash is unreadable");
            false
        }))
    }

    /// Spends the time of one verification without a real hash, and always fails.
    ///
    /// # Errors
    /// As [`PasswordHasher::verify`].
    pub async fn dummy_verify(&self, password: &str) -> Result<(), ApiError> {
        let dummy = PasswordHash(self.dummy_hash.to_string());
        self.verify(password, &dummy).await.map(|_| ())
    }
}

/// base64(HMAC-SHA256(pepper, password)): a fixed 44 bytes, under bcrypt's 72.
fn prehash(pepper: &[u8], password: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(pepper).expect("HMAC takes keys of any length");
    mac.update(password);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The threads that run bcrypt, one per core, first in first out.
///
/// They run at nice 10, so the kernel lets an async worker preempt them: under a login
/// storm the other requests keep most of the CPU they need, and the logins get the rest.
/// Logins then queue for a thread instead of all running at once, which costs them
/// nothing (the cores were the limit either way) and bounds the threads to the cores.
#[derive(Clone)]
struct HashingPool {
    threads: Arc<rayon::ThreadPool>,
    /// One permit per job queued or running; none left means the queue is full.
    slots: Arc<Semaphore>,
}

/// How many bcrypt jobs may wait or run per core before new ones are refused.
///
/// At the production cost (12, about 0.25 s a hash on one core) a full queue is about
/// 2 s of work: longer than that, and a login would wait more than a person does. Logins
/// for one account never fill it, since the lockout lets at most `LOGIN_MAX_FAILURES` of
/// them through to bcrypt; it takes a storm over many accounts (or sign-ups).
pub const QUEUED_HASHES_PER_CORE: usize = 8;

/// What a full queue answers in `Retry-After`: about the time to drain one core's share.
const FULL_QUEUE_RETRY_AFTER_SECONDS: u64 = 2;

/// How much lower than the async workers the hashing threads run (0 is normal, 19 least).
const HASHING_NICENESS: libc::c_int = 10;

impl HashingPool {
    fn new() -> Result<Self, ApiError> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .thread_name(|i| format!("bcrypt-{i}"))
            .start_handler(|_| lower_this_threads_priority())
            .build()
            .map(|pool| Self {
                threads: Arc::new(pool),
                slots: Arc::new(Semaphore::new(cores * QUEUED_HASHES_PER_CORE)),
            })
            .map_err(|e| ApiError::Internal(format!("password hashing threads: {e}")))
    }

    /// Queues `work` at once, or refuses it with [`ApiError::Unavailable`] when the
    /// queue is full; the future resolves to its result. If the future is dropped first
    /// (the client hung up), the work is skipped when its turn comes, so a storm of
    /// abandoned logins does not keep the cores busy after it.
    fn run<T, F>(
        &self,
        work: F,
    ) -> Result<impl Future<Output = Result<T, ApiError>> + use<T, F>, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.slots).try_acquire_owned().map_err(|_| {
            tracing::warn!("password hashing queue is full: refusing with 503");
            ApiError::Unavailable(FULL_QUEUE_RETRY_AFTER_SECONDS)
        })?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        self.threads.spawn_fifo(move || {
            if !sender.is_closed() {
                let _ = sender.send(work());
            }
            drop(permit);
        });
        Ok(async move {
            receiver
                .await
                .map_err(|_| ApiError::Internal("password hashing thread stopped".to_owned()))
        })
    }
}

/// Sets the calling thread's nice value to [`HASHING_NICENESS`]. On Linux the nice value
/// belongs to a thread, and `who = 0` names the calling one. Raising it needs no
/// privilege; if it fails anyway, hashing still works, only at normal priority.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority(2) only reads its integer arguments.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICENESS);
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            Arc,
            atomic::{AtomicBool, Ordering},
        },
        time::Duration,
    };

    use super::{HashingPool, PasswordHasher, prehash};
    use crate::config::{PasswordSettings, Secret};

    async fn hasher() -> PasswordHasher {
        PasswordHasher::new(&PasswordSettings {
            pepper: Secret::new("p".repeat(32)),
            bcrypt_cost: 4,
        })
        .await
        .unwrap()
    }

    #[test]
    fn prehash_fits_in_bcrypts_72_bytes_and_depends_on_every_byte() {
        let long = "x".repeat(100);
        let longer = format!("{long}y");
        assert_eq!(prehash(b"k", long.as_bytes()).len(), 44);
        assert_ne!(
            prehash(b"k", long.as_bytes()),
            prehash(b"k", longer.as_bytes())
        );
    }

    #[tokio::test]
    async fn passwords_differing_after_byte_72_are_different_passwords() {
        let hasher = hasher().await;
        let base = "a".repeat(80);
        let hash = hasher.hash(&format!("{base}1")).await.unwrap();
        assert!(hasher.verify(&format!("{base}1"), &hash).await.unwrap());
        assert!(!hasher.verify(&format!("{base}2"), &hash).await.unwrap());
    }

    #[tokio::test]
    async fn the_pepper_is_part_of_the_hash() {
        let hasher = hasher().await;
        let other = PasswordHasher::new(&PasswordSettings {
            pepper: Secret::new("q".repeat(32)),
            bcrypt_cost: 4,
        })
        .await
        .unwrap();
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(!other.verify("correct horse", &hash).await.unwrap());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_runs_below_the_async_workers_priority() {
        let pool = HashingPool::new().unwrap();
        // SAFETY: getpriority(2) only reads its integer arguments.
        let nice = pool
            .run(|| unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) })
            .unwrap()
            .await
            .unwrap();
        assert_eq!(nice, super::HASHING_NICENESS);
    }

    #[tokio::test]
    async fn work_whose_caller_gave_up_is_skipped() {
        let pool = HashingPool::new().unwrap();
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        // Occupy every thread until we say so, so the next job has to wait its turn.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let held = Arc::new(std::sync::Mutex::new(held));
        let busy: Vec<_> = (0..cores)
            .map(|_| {
                let held = Arc::clone(&held);
                pool.run(move || {
                    let _ = held.lock().unwrap().recv();
                })
                .unwrap()
            })
            .collect();
        let ran = Arc::new(AtomicBool::new(false));
        let abandoned = pool
            .run({
                let ran = Arc::clone(&ran);
                move || ran.store(true, Ordering::SeqCst)
            })
            .unwrap();
        drop(abandoned);
        for _ in 0..cores {
            release.send(()).unwrap();
        }
        for job in busy {
            job.await.unwrap();
        }
        // One job per thread that none can finish before all have started: every thread
        // has then finished what it took before, the abandoned job included (first in,
        // first out).
        let fence = Arc::new(std::sync::Barrier::new(cores));
        let fenced: Vec<_> = (0..cores)
            .map(|_| {
                let fence = Arc::clone(&fence);
                pool.run(move || {
                    fence.wait();
                })
                .unwrap()
            })
            .collect();
        for job in fenced {
            tokio::time::timeout(Duration::from_secs(5), job)
                .await
                .unwrap()
                .unwrap();
        }
        assert!(!ran.load(Ordering::SeqCst));
    }
    #[tokio::test]
    async fn a_full_queue_refuses_new_work_at_once_and_frees_up_as_jobs_finish() {
        let pool = HashingPool::new().unwrap();
        let capacity = pool.slots.available_permits();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let held = Arc::new(std::sync::Mutex::new(held));
        let queued: Vec<_> = (0..capacity)
            .map(|_| {
                let held = Arc::clone(&held);
                pool.run(move || {
                    let _ = held.lock().unwrap().recv_timeout(Duration::from_secs(5));
                })
                .unwrap()
            })
            .collect();
        let refused = pool.run(|| ()).err().expect("the queue is full");
        assert!(matches!(refused, crate::error::ApiError::Unavailable(_)));
        for _ in 0..capacity {
            release.send(()).unwrap();
        }
        for job in queued {
            job.await.unwrap();
        }
        pool.run(|| ()).unwrap().await.unwrap();
    }
}
