//! Logging a failure once when it starts and once when it ends, never once per request in
//! a flood.

use std::sync::atomic::{AtomicBool, Ordering};

/// One kind of failure, open or closed.
#[derive(Debug)]
pub(crate) struct Incident {
    open: AtomicBool,
}

impl Incident {
    pub(crate) const fn new() -> Self {
        Incident {
            open: AtomicBool::new(false),
        }
    }

    /// Whether this call opened the incident, i.e. is the one that should log it.
    pub(crate) fn open(&self) -> bool {
        !self.open.load(Ordering::Relaxed) && !self.open.swap(true, Ordering::AcqRel)
    }

    /// Whether this call closed an open incident, i.e. should log the recovery. A single
    /// relaxed load when nothing is open, so it can sit on the request path.
    pub(crate) fn close(&self) -> bool {
        self.open.load(Ordering::Relaxed) && self.open.swap(false, Ordering::AcqRel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incident_is_reported_once_and_closed_once() {
        let incident = Incident::new();
        assert!(!incident.close());
        assert!(incident.open());
        assert!(!incident.open());
        assert!(incident.close());
        assert!(!incident.close());
        assert!(incident.open());
    }
}
