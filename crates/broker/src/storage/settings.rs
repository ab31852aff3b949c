//! The topic configs a partition's segments obey (segment size and age, index interval and size,
//! retention, flush policy), resolved from the topic's overrides and the broker's layers and
//! shared by the topic's partitions. The broker refreshes them when configs change.

use std::sync::atomic::{AtomicI64, Ordering};

/// Effective log settings of one topic, readable without a lock.
#[derive(Debug)]
pub struct LogSettings {
    segment_bytes: AtomicI64,
    segment_ms: AtomicI64,
    index_interval_bytes: AtomicI64,
    segment_index_bytes: AtomicI64,
    retention_ms: AtomicI64,
    retention_bytes: AtomicI64,
    flush_messages: AtomicI64,
    flush_ms: AtomicI64,
    delete_policy: std::sync::atomic::AtomicBool,
}

/// The config names the settings come from, in the order [`LogSettings::update`] takes them.
pub const NAMES: [&str; 9] = [
    "segment.bytes",
    "segment.ms",
    "index.interval.bytes",
    "segment.index.bytes",
    "retention.ms",
    "retention.bytes",
    "flush.messages",
    "flush.ms",
    "cleanup.policy",
];

impl Default for LogSettings {
    fn default() -> Self {
        let settings = LogSettings {
            segment_bytes: AtomicI64::new(0),
            segment_ms: AtomicI64::new(0),
            index_interval_bytes: AtomicI64::new(0),
            segment_index_bytes: AtomicI64::new(0),
            retention_ms: AtomicI64::new(0),
            retention_bytes: AtomicI64::new(0),
            flush_messages: AtomicI64::new(0),
            flush_ms: AtomicI64::new(0),
            delete_policy: true.into(),
        };
        settings.update(|name| crate::topic_config::lookup(name).map(|d| d.default.to_string()));
        settings
    }
}

impl LogSettings {
    /// Re-reads every setting through `value_of` (the effective config value by name).
    pub fn update(&self, value_of: impl Fn(&str) -> Option<String>) {
        let number = |name: &str, fallback: i64| {
            value_of(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(fallback)
        };
        let set = |cell: &AtomicI64, value: i64| cell.store(value, Ordering::Relaxed);
        set(&self.segment_bytes, number(NAMES[0], 1 << 30).max(1));
        set(&self.segment_ms, number(NAMES[1], 604_800_000).max(1));
        set(&self.index_interval_bytes, number(NAMES[2], 4096).max(0));
        set(&self.segment_index_bytes, number(NAMES[3], 10 << 20).max(8));
        set(&self.retention_ms, number(NAMES[4], 604_800_000));
        set(&self.retention_bytes, number(NAMES[5], -1));
        set(&self.flush_messages, number(NAMES[6], i64::MAX).max(1));
        set(&self.flush_ms, number(NAMES[7], i64::MAX).max(0));
        let policy = value_of(NAMES[8]).unwrap_or_else(|| "delete".to_string());
        self.delete_policy.store(
            policy.split(',').any(|p| p.trim() == "delete"),
            Ordering::Relaxed,
        );
    }

    pub fn segment_bytes(&self) -> u64 {
        self.segment_bytes.load(Ordering::Relaxed) as u64
    }

    pub fn segment_ms(&self) -> u64 {
        self.segment_ms.load(Ordering::Relaxed) as u64
    }

    pub fn index_interval_bytes(&self) -> u64 {
        self.index_interval_bytes.load(Ordering::Relaxed) as u64
    }

    /// How many offset index entries a segment holds before it is rolled.
    pub fn max_index_entries(&self) -> usize {
        (self.segment_index_bytes.load(Ordering::Relaxed) / 8) as usize
    }

    /// `retention.ms`, or `None` for no time limit (-1) or a non-delete cleanup policy.
    pub fn retention_ms(&self) -> Option<i64> {
        let ms = self.retention_ms.load(Ordering::Relaxed);
        (ms >= 0 && self.deletes()).then_some(ms)
    }

    /// `retention.bytes`, or `None` for no size limit or a non-delete cleanup policy.
    pub fn retention_bytes(&self) -> Option<u64> {
        let bytes = self.retention_bytes.load(Ordering::Relaxed);
        (bytes >= 0 && self.deletes()).then_some(bytes as u64)
    }

    fn deletes(&self) -> bool {
        self.delete_policy.load(Ordering::Relaxed)
    }

    pub fn flush_messages(&self) -> i64 {
        self.flush_messages.load(Ordering::Relaxed)
    }

    /// `flush.ms`, or `None` when it is the "never" default.
    pub fn flush_ms(&self) -> Option<u64> {
        let ms = self.flush_ms.load(Ordering::Relaxed);
        (ms < i64::MAX).then_some(ms as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kafka_defaults_and_overrides() {
        let settings = LogSettings::default();
        assert_eq!(settings.segment_bytes(), 1 << 30);
        assert_eq!(settings.retention_ms(), Some(604_800_000));
        assert_eq!(settings.retention_bytes(), None);
        assert_eq!(settings.flush_ms(), None);
        settings.update(|name| match name {
            "flush.messages" => Some("1".into()),
            "retention.ms" => Some("-1".into()),
            "cleanup.policy" => Some("compact".into()),
            "retention.bytes" => Some("100".into()),
            _ => None,
        });
        assert_eq!(settings.flush_messages(), 1);
        assert_eq!(settings.retention_ms(), None);
        assert_eq!(settings.retention_bytes(), None);
    }
}
