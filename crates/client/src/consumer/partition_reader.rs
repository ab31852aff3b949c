//! Reading one partition without a group (Kafka's `assign` and `seek`): from its start, its end
//! or an offset, over a connection of its own to the partition's leader, with the isolation
//! level's view of the log. Nothing is committed. A position that falls out of range restarts
//! from the start or the end, as `auto.offset.reset` says.

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::error::ResponseError;

use super::fetcher::{fetch_from, FetchSettings};
use super::{offsets, Batch, TopicPartition};
use crate::cluster::Cluster;
use crate::connection::{Connection, ConnectionOptions};
use crate::error::{Error, Result};
use crate::retry::{Backoff, RetryError, RetryOptions};

/// Where reading starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Earliest,
    Latest,
    Offset(i64),
}

/// How a [`PartitionReader`] fetches.
#[derive(Debug, Clone)]
pub struct ReaderOptions {
    /// How long a fetch waits for records.
    pub max_wait: Duration,
    /// The most bytes one fetch returns.
    pub max_bytes: i32,
    /// Whether records of open and aborted transactions are read too.
    pub read_uncommitted: bool,
    pub retry: RetryOptions,
    /// Where reading restarts when the position is out of range.
    pub reset: StartAt,
}

/// A reader of one partition.
pub struct PartitionReader {
    cluster: Arc<Cluster>,
    connection_options: ConnectionOptions,
    tp: TopicPartition,
    options: ReaderOptions,
    /// Where reading starts while the position is unknown.
    start: StartAt,
    position: Option<i64>,
    /// The leader's id and the connection to it.
    connection: Option<(i32, Arc<Connection>)>,
}

impl PartitionReader {
    /// A reader of `partition` of `topic` starting at `start`; nothing is sent until
    /// [`PartitionReader::next`].
    pub fn new(
        cluster: Arc<Cluster>,
        connection_options: ConnectionOptions,
        tp: TopicPartition,
        start: StartAt,
        options: ReaderOptions,
    ) -> PartitionReader {
        PartitionReader {
            cluster,
            connection_options,
            tp,
            options,
            start,
            position: None,
            connection: None,
        }
    }

    /// The next offset to read, once known.
    pub fn position(&self) -> Option<i64> {
        self.position
    }

    /// The next records (the batch may hold none when the fetched batches held only control or
    /// aborted records), or `None` when the wait ended without any. Retriable failures are
    /// retried with the reader's retry settings.
    pub async fn next(&mut self) -> Result<Option<Batch>, RetryError> {
        let mut backoff = Backoff::new(self.options.retry);
        loop {
            match self.attempt().await {
                Ok(batch) => return Ok(batch),
                Err(error) if !error.is_retriable() => return Err(RetryError::NonRetriable(error)),
                Err(error) => {
                    self.connection = None;
                    self.cluster.invalidate();
                    match backoff.next_wait() {
                        Some(wait) => tokio::time::sleep(wait).await,
                        None => return Err(backoff.exhausted(error)),
                    }
                }
            }
        }
    }

    async fn attempt(&mut self) -> Result<Option<Batch>> {
        let position = match self.position {
            Some(position) => position,
            None => {
                let position = self.resolve(self.start).await?;
                self.position = Some(position);
                position
            }
        };
        let connection = self.leader_connection().await?;
        let settings = FetchSettings {
            wait: self.options.max_wait,
            max_bytes_per_partition: self.options.max_bytes,
            min_bytes: 1,
            max_bytes: self.options.max_bytes,
            read_uncommitted: self.options.read_uncommitted,
            rack_id: "",
        };
        let fetched = fetch_from(&connection, &[(self.tp.clone(), position)], &settings)
            .await?
            .remove(&self.tp)
            .unwrap_or(Ok(None));
        match fetched {
            Ok(Some(batch)) => {
                self.position = Some(batch.next_offset);
                Ok(Some(batch))
            }
            Ok(None) => Ok(None),
            Err(Error::Protocol {
                error: ResponseError::OffsetOutOfRange,
                ..
            }) => {
                self.position = None;
                self.start = self.options.reset;
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// The offset `start` stands for.
    async fn resolve(&self, start: StartAt) -> Result<i64> {
        let timestamp = match start {
            StartAt::Offset(offset) => return Ok(offset),
            StartAt::Earliest => offsets::EARLIEST,
            StartAt::Latest => offsets::LATEST,
        };
        let found = offsets::list_offsets(
            &self.cluster,
            std::slice::from_ref(&self.tp),
            timestamp,
            !self.options.read_uncommitted,
        )
        .await?;
        found.get(&self.tp).copied().ok_or_else(|| self.unknown())
    }

    /// The connection to the partition's leader, opened when the leader is new.
    async fn leader_connection(&mut self) -> Result<Arc<Connection>> {
        let metadata = self
            .cluster
            .topics_metadata(std::slice::from_ref(&self.tp.0), false)
            .await?;
        let leader = metadata
            .topics
            .get(&self.tp.0)
            .and_then(|t| t.partitions.iter().find(|p| p.partition == self.tp.1))
            .ok_or_else(|| self.unknown())?
            .leader;
        if leader < 0 {
            return Err(Error::Protocol {
                error: ResponseError::LeaderNotAvailable,
                message: Some(format!("{} partition {}", self.tp.0, self.tp.1)),
            });
        }
        if let Some((id, open)) = &self.connection {
            if *id == leader && !open.is_closed() {
                return Ok(open.clone());
            }
        }
        let address = metadata.brokers.get(&leader).cloned().ok_or_else(|| {
            Error::connection("", format!("Broker {leader} is not in the metadata"))
        })?;
        let opened =
            Arc::new(Connection::connect(&address, self.connection_options.clone()).await?);
        self.connection = Some((leader, opened.clone()));
        Ok(opened)
    }

    fn unknown(&self) -> Error {
        Error::Protocol {
            error: ResponseError::UnknownTopicOrPartition,
            message: Some(format!("{} partition {}", self.tp.0, self.tp.1)),
        }
    }
}
