//! One concurrent map of keys to one algorithm's state, and the key budget they share.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::state::{GcraState, LimitState, Verdict};
use crate::limiter::RateLimitConfig;
use crate::limiter::backend::LimiterBackendError;

/// Seeded per process, unlike SipHash it costs a few nanoseconds on a 40-byte key; the
/// random seed keeps clients from aiming keys at one bucket.
pub(crate) type KeyHasher = foldhash::fast::RandomState;

/// How many keys may be tracked, across every store of a backend.
#[derive(Debug)]
pub(crate) struct KeyBudget {
    used: AtomicUsize,
    max: usize,
    /// Set on the first refusal of an incident so it is logged once, not once per request.
    exhausted: AtomicBool,
}

impl KeyBudget {
    pub(crate) fn new(max: usize) -> Self {
        KeyBudget {
            used: AtomicUsize::new(0),
            max,
            exhausted: AtomicBool::new(false),
        }
    }

    fn reserve(&self) -> Result<(), LimiterBackendError> {
        if self.used.fetch_add(1, Ordering::AcqRel) < self.max {
            return Ok(());
        }
        self.used.fetch_sub(1, Ordering::AcqRel);
        if !self.exhausted.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                target: "fastex::memory",
                backend = "memory",
                max_keys = self.max,
                "memory rate-limit backend is full: new keys get the fallback mode until expired keys are cleaned up"
            );
        }
        Err(LimiterBackendError::CapacityExceeded {
            backend: "memory",
            max_keys: self.max,
        })
    }

    pub(crate) fn release(&self, keys: usize) {
        if keys > 0 {
            self.used.fetch_sub(keys, Ordering::AcqRel);
            self.exhausted.store(false, Ordering::Release);
        }
    }

    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }
}

/// Keys of one algorithm. Each check locks one bucket of the map for the time of a few
/// arithmetic operations; nothing is allocated unless the key is new.
#[derive(Debug)]
pub(crate) struct Store<S> {
    map: scc::HashMap<Box<str>, S, KeyHasher>,
}

impl<S: LimitState> Default for Store<S> {
    fn default() -> Self {
        Store {
            map: scc::HashMap::with_hasher(KeyHasher::default()),
        }
    }
}

impl<S: LimitState> Store<S> {
    /// Decides on a request for `key` at `now`, counting it when admitted and `commit` is set.
    pub(crate) fn check(
        &self,
        key: &str,
        now: u64,
        limit: &RateLimitConfig,
        commit: bool,
        budget: &KeyBudget,
    ) -> Result<Verdict, LimiterBackendError> {
        if let Some(verdict) = self
            .map
            .update_sync(key, |_, state| state.check(now, limit, commit))
        {
            return Ok(verdict);
        }
        if !commit {
            return Ok(S::default().check(now, limit, false));
        }
        budget.reserve()?;
        match self.map.entry_sync(Box::from(key)) {
            scc::hash_map::Entry::Occupied(mut entry) => {
                // Another request created the key between our lookup and this insert.
                budget.release(1);
                Ok(entry.get_mut().check(now, limit, true))
            }
            scc::hash_map::Entry::Vacant(entry) => {
                let mut state = S::default();
                let verdict = state.check(now, limit, true);
                entry.insert_entry(state);
                Ok(verdict)
            }
        }
    }

    /// Forgets a request admitted at `admitted_at` for `key`.
    pub(crate) fn undo(&self, key: &str, admitted_at: u64, limit: &RateLimitConfig) {
        self.map
            .update_sync(key, |_, state| state.undo(admitted_at, limit));
    }

    /// Removes the keys that expired by `now`, one bucket at a time so concurrent checks
    /// wait for at most one bucket; returns how many were removed.
    pub(crate) async fn remove_expired(&self, now: u64) -> usize {
        let mut removed = 0;
        self.map
            .retain_async(|_, state| {
                let keep = state.expires_at() > now;
                removed += usize::from(!keep);
                keep
            })
            .await;
        removed
    }

    pub(crate) fn remove(&self, key: &str) -> bool {
        self.map.remove_sync(key).is_some()
    }

    pub(crate) fn clear(&self) -> usize {
        let mut removed = 0;
        self.map.retain_sync(|_, _| {
            removed += 1;
            false
        });
        removed
    }

    pub(crate) fn entries(&self) -> usize {
        let mut entries = 0;
        self.map.iter_sync(|_, state| {
            entries += state.entries();
            true
        });
        entries
    }
}

/// A `tat` no live GCRA state holds: the key is being removed. Whoever swaps it in has
/// released the key's budget; a checker reading it looks the key up again.
const REMOVED: u64 = u64::MAX;

/// GCRA's keys, each one's `tat` in an atomic word read through a lock-free lookup
/// (`HashIndex::peek`): a refusal writes nothing shared, an admission is one
/// `compare_exchange` on the key's word, as in governor.
///
/// The word is boxed because `HashIndex` moves entries bitwise when it resizes: a checker
/// still holding the old slot then updates the same word as one reading the new slot.
/// Removals (cleanup, `clear_key`, `clear`) first swap [`REMOVED`] into the word under the
/// bucket's lock, so a checker racing with them either lands its update before (and cleanup
/// then keeps the key, it has not expired) or sees `REMOVED` and starts over on a fresh
/// entry: no update is lost in a removed entry.
#[derive(Debug)]
pub(crate) struct GcraStore {
    map: scc::HashIndex<Box<str>, Box<AtomicU64>, KeyHasher>,
}

impl Default for GcraStore {
    fn default() -> Self {
        GcraStore {
            map: scc::HashIndex::with_hasher(KeyHasher::default()),
        }
    }
}

impl GcraStore {
    /// Decides on a request for `key` at `now`, counting it when admitted and `commit` is set.
    pub(crate) fn check(
        &self,
        key: &str,
        now: u64,
        limit: &RateLimitConfig,
        commit: bool,
        budget: &KeyBudget,
    ) -> Result<Verdict, LimiterBackendError> {
        let guard = scc::Guard::new();
        loop {
            if let Some(word) = self.map.peek(key, &guard) {
                let mut tat = word.load(Ordering::Acquire);
                while tat != REMOVED {
                    let mut state = GcraState::from_tat(tat);
                    let verdict = state.check(now, limit, commit);
                    if state.tat() == tat {
                        // Refused, or not committed: nothing to write.
                        return Ok(verdict);
                    }
                    match word.compare_exchange_weak(
                        tat,
                        state.tat(),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => return Ok(verdict),
                        Err(current) => tat = current,
                    }
                }
                // Being removed: wait for the remover's bucket lock to be done with it (or
                // remove it ourselves), then look again.
                self.map
                    .remove_if_sync(key, |word| word.load(Ordering::Acquire) == REMOVED);
                continue;
            }
            if !commit {
                return Ok(GcraState::default().check(now, limit, false));
            }
            budget.reserve()?;
            let mut state = GcraState::default();
            let verdict = state.check(now, limit, true);
            let word = Box::new(AtomicU64::new(state.tat()));
            match self.map.insert_sync(Box::from(key), word) {
                Ok(()) => return Ok(verdict),
                // Another request created the key between our lookup and this insert.
                Err(_) => budget.release(1),
            }
        }
    }

    /// Forgets a request admitted at `admitted_at` for `key`.
    pub(crate) fn undo(&self, key: &str, admitted_at: u64, limit: &RateLimitConfig) {
        let guard = scc::Guard::new();
        let Some(word) = self.map.peek(key, &guard) else {
            return;
        };
        let mut tat = word.load(Ordering::Acquire);
        // A removed key has expired: it answers like a fresh one, undone or not.
        while tat != REMOVED {
            let mut state = GcraState::from_tat(tat);
            state.undo(admitted_at, limit);
            match word.compare_exchange_weak(tat, state.tat(), Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(current) => tat = current,
            }
        }
    }

    /// Removes the keys that expired by `now`; returns how many were removed.
    pub(crate) async fn remove_expired(&self, now: u64) -> usize {
        let mut removed = 0;
        self.map
            .retain_async(|_, word| {
                let mut tat = word.load(Ordering::Acquire);
                loop {
                    if tat == REMOVED {
                        return false;
                    }
                    if tat > now {
                        return true;
                    }
                    // A checker's update from `tat` wins over this and keeps the key.
                    match word.compare_exchange(tat, REMOVED, Ordering::AcqRel, Ordering::Acquire) {
                        Ok(_) => {
                            removed += 1;
                            return false;
                        }
                        Err(current) => tat = current,
                    }
                }
            })
            .await;
        removed
    }

    pub(crate) fn remove(&self, key: &str) -> bool {
        let mut counted = false;
        self.map.remove_if_sync(key, |word| {
            counted = word.swap(REMOVED, Ordering::AcqRel) != REMOVED;
            true
        });
        counted
    }

    pub(crate) fn clear(&self) -> usize {
        let mut removed = 0;
        self.map.retain_sync(|_, word| {
            removed += usize::from(word.swap(REMOVED, Ordering::AcqRel) != REMOVED);
            false
        });
        removed
    }

    pub(crate) fn entries(&self) -> usize {
        let mut entries = 0;
        self.map.iter_sync(|_, word| {
            entries += usize::from(word.load(Ordering::Acquire) != REMOVED);
            true
        });
        entries
    }
}
