//! The optimistic retry loop, written once: decide on the application as read, commit on its
//! version; when another writer got there first (a stale version), read it again and decide again.

use crate::domain::{Action, Application};
use crate::lifecycle::{Decision, Refusal};
use crate::ports::{CommitError, Conflict};
use crate::service::{Service, MAX_ATTEMPTS};
use crate::time::Time;
use crate::Failure;

/// How a retried decision ended. `stale` counts the lost races on the way.
#[derive(Debug)]
pub(crate) enum Retried {
    /// Committed: the application as written, the history's action, and the instant it was
    /// decided at.
    Committed {
        next: Application,
        action: Action,
        now: Time,
        stale: u32,
    },
    /// The decision refused, on the application as last read.
    Refused {
        refusal: Refusal,
        app: Application,
        now: Time,
        stale: u32,
    },
    /// The application disappeared meanwhile.
    Gone { stale: u32 },
}

impl Service {
    /// Decides with `decide` (given the current application and business time) and commits, at
    /// most [`MAX_ATTEMPTS`] times; a store failure or too many lost races is a failure.
    pub(crate) async fn decide_and_commit<F>(
        &self,
        mut app: Application,
        decide: F,
    ) -> Result<Retried, Failure>
    where
        F: Fn(&Application, Time) -> Result<Decision, Refusal>,
    {
        let mut stale = 0;
        for _ in 0..MAX_ATTEMPTS {
            let now = self.now();
            let decision = match decide(&app, now) {
                Ok(d) => d,
                Err(refusal) => {
                    return Ok(Retried::Refused {
                        refusal,
                        app,
                        now,
                        stale,
                    })
                }
            };
            let (next, action) = (decision.application.clone(), decision.history.action);
            match self.commit(decision).await {
                Ok(()) => {
                    return Ok(Retried::Committed {
                        next,
                        action,
                        now,
                        stale,
                    })
                }
                Err(CommitError::Conflict(Conflict::Stale)) => {
                    stale += 1;
                    match self.store.application(&app.id).await? {
                        Some(current) => app = current,
                        None => return Ok(Retried::Gone { stale }),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Failure::Conflict {
            code: "conflict",
            status: None,
        })
    }
}
