//! kafkajs's retry policy: the same options and defaults (including the ones kafkajs switches to
//! when `NODE_ENV=test`; the JavaScript layer picks between them and merges the user's options),
//! randomised exponential backoff and the retriable/non-retriable split.

use std::future::Future;
use std::time::Duration;

use crate::error::Error;

/// kafkajs's `retry` options, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryOptions {
    pub max_retry_time: f64,
    pub initial_retry_time: f64,
    pub factor: f64,
    pub multiplier: f64,
    pub retries: u32,
}

impl RetryOptions {
    /// kafkajs's defaults: `{ maxRetryTime: 30000, initialRetryTime: 300, factor: 0.2,
    /// multiplier: 2, retries: 5 }`.
    pub const DEFAULT: RetryOptions = RetryOptions {
        max_retry_time: 30_000.0,
        initial_retry_time: 300.0,
        factor: 0.2,
        multiplier: 2.0,
        retries: 5,
    };

    /// The defaults kafkajs uses when `NODE_ENV=test` (as under Jest).
    pub const TEST_DEFAULT: RetryOptions = RetryOptions {
        max_retry_time: 1_000.0,
        initial_retry_time: 50.0,
        factor: 0.02,
        multiplier: 1.5,
        retries: 15,
    };

    /// `retryTime` randomised by `factor`: uniform in `[t - factor*t, t + factor*t]`, rounded up.
    fn randomised(&self, retry_time: f64) -> f64 {
        let delta = self.factor * retry_time;
        (retry_time - delta + fastrand::f64() * 2.0 * delta).ceil()
    }

    /// The wait after a failure that waited `retry_time`, capped at `max_retry_time`.
    fn next(&self, retry_time: f64) -> f64 {
        (self.randomised(retry_time) * self.multiplier).min(self.max_retry_time)
    }
}

/// Why a retried operation gave up.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RetryError {
    /// A retriable error persisted through every retry (KafkaJSNumberOfRetriesExceeded).
    #[error("{last}")]
    Exhausted {
        last: Error,
        retry_count: u32,
        retry_time: u64,
    },
    /// A non-retriable error (KafkaJSNonRetriableError).
    #[error("{0}")]
    NonRetriable(Error),
}

/// kafkajs's backoff for one retried operation: how long to wait after each failure, and when
/// to give up.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    options: RetryOptions,
    retry_time: f64,
    retry_count: u32,
}

impl Backoff {
    pub fn new(options: RetryOptions) -> Backoff {
        Backoff {
            options,
            retry_time: options.randomised(options.initial_retry_time),
            retry_count: 0,
        }
    }

    /// After a retriable failure: the wait before the next attempt, or `None` once every retry
    /// has been used.
    pub fn next_wait(&mut self) -> Option<Duration> {
        if self.retry_count >= self.options.retries {
            return None;
        }
        let wait = Duration::from_millis(self.retry_time as u64);
        self.retry_time = self.options.next(self.retry_time);
        self.retry_count += 1;
        Some(wait)
    }

    /// The retries made so far.
    pub fn retry_count(&self) -> u32 {
        self.retry_count
    }

    /// Why the operation gave up after `last`, with the count and wait kafkajs reports.
    pub fn exhausted(&self, last: Error) -> RetryError {
        RetryError::Exhausted {
            last,
            retry_count: self.retry_count,
            retry_time: self.retry_time as u64,
        }
    }
}

/// Runs `operation` (given the retry count) until it succeeds, fails with a non-retriable error,
/// or has been retried `options.retries` times, waiting as kafkajs does in between.
pub async fn retry<T, F, Fut>(options: RetryOptions, operation: F) -> Result<T, RetryError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    retry_if(options, Error::is_retriable, operation).await
}

/// [`retry`], with the operation deciding which errors are worth retrying, as kafkajs does
/// where it wraps an error in a retriable one.
pub async fn retry_if<T, F, Fut>(
    options: RetryOptions,
    retriable: impl Fn(&Error) -> bool,
    mut operation: F,
) -> Result<T, RetryError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut backoff = Backoff::new(options);
    loop {
        match operation(backoff.retry_count()).await {
            Ok(value) => return Ok(value),
            Err(error) if !retriable(&error) => return Err(RetryError::NonRetriable(error)),
            Err(error) => match backoff.next_wait() {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(backoff.exhausted(error)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::error::ResponseError;

    fn retriable() -> Error {
        Error::Protocol {
            error: ResponseError::LeaderNotAvailable,
            message: None,
        }
    }

    #[test]
    fn backoff_grows_within_the_randomisation_band_and_is_capped() {
        let options = RetryOptions::DEFAULT;
        for _ in 0..1000 {
            let first = options.randomised(300.0);
            assert!((240.0..=360.0).contains(&first), "{first}");
            let next = options.next(300.0);
            assert!((480.0..=720.0).contains(&next), "{next}");
            assert_eq!(options.next(29_000.0), 30_000.0);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_retriable_errors_then_gives_up_with_the_count() {
        let options = RetryOptions {
            retries: 3,
            ..RetryOptions::TEST_DEFAULT
        };
        let mut attempts = 0;
        let result: Result<(), _> = retry(options, |_| {
            attempts += 1;
            async { Err(retriable()) }
        })
        .await;
        assert_eq!(attempts, 4);
        assert!(matches!(
            result,
            Err(RetryError::Exhausted { retry_count: 3, .. })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_once_on_a_non_retriable_error_and_returns_success() {
        let fatal = Error::Protocol {
            error: ResponseError::TopicAuthorizationFailed,
            message: None,
        };
        let result: Result<(), _> = retry(RetryOptions::DEFAULT, |_| {
            let fatal = fatal.clone();
            async move { Err(fatal) }
        })
        .await;
        assert!(matches!(result, Err(RetryError::NonRetriable(_))));
        let ok = retry(RetryOptions::DEFAULT, |count| async move {
            if count < 2 {
                Err(retriable())
            } else {
                Ok(count)
            }
        })
        .await;
        assert_eq!(ok.unwrap(), 2);
    }
}
