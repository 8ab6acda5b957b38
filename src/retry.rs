//! One retry policy for every HTTP exchange — pages, links and Slack: how many tries, the
//! exponential backoff between them, and `Retry-After` honoured up to a limit (a server that
//! asks for longer is taken at its word now, not waited for).

use std::future::Future;
use std::time::Duration;

/// A `Retry-After` longer than this is not waited for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How often and how patiently to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Tries after the first.
    pub retries: u32,
    /// The first pause; it doubles with every retry.
    pub backoff: Duration,
    /// The longest `Retry-After` that is waited for.
    pub max_retry_after: Duration,
    /// No try starts after this moment: a wait that would end later is not waited for.
    pub deadline: Option<tokio::time::Instant>,
}

impl Policy {
    pub fn new(retries: u32, backoff: Duration) -> Self {
        Policy {
            retries,
            backoff,
            max_retry_after: MAX_RETRY_AFTER,
            deadline: None,
        }
    }

    /// The same policy, with no try starting after `deadline`.
    pub fn until(self, deadline: tokio::time::Instant) -> Self {
        Policy {
            deadline: Some(deadline),
            ..self
        }
    }

    /// The pause before retry number `attempt + 1`: the backoff, or longer when the server
    /// asked so; `None` when the server asks for more than [`Policy::max_retry_after`].
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        let backoff = self
            .backoff
            .saturating_mul(2u32.saturating_pow(attempt.min(16)));
        match retry_after {
            Some(ra) if ra > self.max_retry_after => None,
            Some(ra) => Some(ra.max(backoff)),
            None => Some(backoff),
        }
    }
}

/// What one try came to.
#[derive(Debug)]
pub enum Attempt<T, E> {
    /// Done: no more tries.
    Done(T),
    /// Failed for good: trying again would not help.
    Fail(E),
    /// Failed in a way another try may fix; `after` is the server's `Retry-After`.
    Retry { error: E, after: Option<Duration> },
}

/// A failure after every try allowed.
#[derive(Debug, PartialEq, Eq)]
pub struct GaveUp<E> {
    pub error: E,
    /// Tries made, the first included.
    pub attempts: u32,
    /// The server asked for a longer wait than the policy allows.
    pub wait_refused: Option<Duration>,
    /// The next try would have started after the policy's deadline.
    pub out_of_time: bool,
}

/// Runs `op` (given the number of the try, from 0) until it is done, fails for good, or the
/// policy says to stop.
pub async fn run<T, E, F, Fut>(policy: &Policy, mut op: F) -> Result<T, GaveUp<E>>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T, E>>,
{
    let mut attempt = 0;
    loop {
        match op(attempt).await {
            Attempt::Done(t) => return Ok(t),
            Attempt::Fail(error) => {
                return Err(GaveUp {
                    error,
                    attempts: attempt + 1,
                    wait_refused: None,
                    out_of_time: false,
                })
            }
            Attempt::Retry { error, after } => {
                let give_up = |wait_refused, out_of_time| GaveUp {
                    error,
                    attempts: attempt + 1,
                    wait_refused,
                    out_of_time,
                };
                if attempt >= policy.retries {
                    return Err(give_up(None, false));
                }
                let Some(wait) = policy.wait(attempt, after) else {
                    return Err(give_up(after, false));
                };
                if policy
                    .deadline
                    .is_some_and(|d| tokio::time::Instant::now() + wait >= d)
                {
                    return Err(give_up(None, true));
                }
                tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "trying again");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    fn policy(retries: u32) -> Policy {
        Policy::new(retries, Duration::from_millis(500))
    }

    /// Runs a policy over scripted answers; what it returned and how long it waited in all.
    async fn script(
        p: Policy,
        answers: Vec<Attempt<&'static str, &'static str>>,
    ) -> (Result<&'static str, GaveUp<&'static str>>, Duration, usize) {
        let start = Instant::now();
        let mut answers = answers.into_iter();
        let mut tries = 0;
        let result = run(&p, |_| {
            tries += 1;
            let next = answers.next().expect("a scripted answer");
            async move { next }
        })
        .await;
        (result, start.elapsed(), tries)
    }

    fn retry(after: Option<u64>) -> Attempt<&'static str, &'static str> {
        Attempt::Retry {
            error: "503",
            after: after.map(Duration::from_secs),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_until_it_works() {
        let (r, waited, tries) = script(
            policy(3),
            vec![retry(None), retry(None), Attempt::Done("ok")],
        )
        .await;
        assert_eq!(r, Ok("ok"));
        assert_eq!(tries, 3);
        assert_eq!(waited, Duration::from_millis(500 + 1000));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_when_longer_than_the_backoff() {
        let (r, waited, _) = script(policy(2), vec![retry(Some(7)), Attempt::Done("ok")]).await;
        assert_eq!(r, Ok("ok"));
        assert_eq!(waited, Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_beyond_the_limit_gives_up_at_once() {
        let (r, waited, tries) = script(policy(5), vec![retry(Some(3600))]).await;
        let gave_up = r.unwrap_err();
        assert_eq!(gave_up.wait_refused, Some(Duration::from_secs(3600)));
        assert_eq!((tries, waited), (1, Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn tries_stop_at_the_limit_with_the_last_error() {
        let (r, waited, tries) =
            script(policy(2), vec![retry(None), retry(None), retry(None)]).await;
        let gave_up = r.unwrap_err();
        assert_eq!((gave_up.error, gave_up.attempts, tries), ("503", 3, 3));
        assert_eq!(waited, Duration::from_millis(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn no_try_starts_after_the_deadline() {
        let p = policy(5).until(Instant::now() + Duration::from_millis(1200));
        let (r, waited, tries) = script(p, vec![retry(None), retry(None), retry(None)]).await;
        let gave_up = r.unwrap_err();
        // Tries at 0 and 0.5 s; the next would start at 1.5 s, past the deadline.
        assert!(gave_up.out_of_time);
        assert_eq!((tries, waited), (2, Duration::from_millis(500)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_final_failure_is_not_retried() {
        let (r, waited, tries) = script(policy(5), vec![Attempt::Fail("404")]).await;
        assert_eq!(r.unwrap_err().error, "404");
        assert_eq!((tries, waited), (1, Duration::ZERO));
    }
}
