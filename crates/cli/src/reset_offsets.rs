//! `consumer-groups --reset-offsets`: works out each inactive group's new offsets for the chosen
//! partitions (`--topic t`, `--topic t:0,1` or `--all-topics`) by one scenario (`--to-earliest`,
//! `--to-latest`, `--to-offset`, `--shift-by`, `--to-datetime`), prints them in Kafka's
//! GROUP TOPIC PARTITION NEW-OFFSET table and, with `--execute`, commits them. A group with
//! members is refused as Kafka refuses it.

use std::collections::{BTreeMap, BTreeSet};

use ferrokafka_client::admin::{Admin, FetchOffsetsRequest, SeekEntry, SetOffsetsRequest};

use crate::connect;

/// How the new offsets are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Scenario {
    Earliest,
    Latest,
    Offset(i64),
    ShiftBy(i64),
    /// Milliseconds since the epoch.
    Datetime(i64),
}

/// Which partitions are reset: named topics (each with its partitions, or all of them), or
/// every partition the group committed.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    Topics(Vec<(String, Option<Vec<i32>>)>),
    AllTopics,
}

/// Kafka's warning when neither `--dry-run` nor `--execute` is given.
pub const DRY_RUN_WARNING: &str = "WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.";

/// The `--topic` arguments as topics with their partitions, as Kafka reads them.
pub fn parse_topics(args: &[String]) -> Result<Scope, String> {
    let mut topics = Vec::new();
    for arg in args {
        match arg.split_once(':') {
            None => topics.push((arg.clone(), None)),
            Some((topic, partitions)) => {
                if partitions.contains(':') {
                    return Err(format!(
                        "Invalid topic arg '{arg}', expected topic name and partitions"
                    ));
                }
                let parsed = partitions
                    .split(',')
                    .map(|p| {
                        p.parse::<i32>().map_err(|_| {
                            format!("Invalid partition '{p}' specified in topic arg '{arg}''")
                        })
                    })
                    .collect::<Result<Vec<i32>, String>>()?;
                topics.push((topic.to_string(), Some(parsed)));
            }
        }
    }
    Ok(Scope::Topics(topics))
}

/// New offsets of one group, by topic and partition.
pub type NewOffsets = BTreeMap<(String, i32), i64>;

/// Resets `groups`' offsets (only printed unless `execute`), printing the table, and refusing
/// groups that have members.
pub async fn reset(
    admin: &Admin,
    groups: &[String],
    scope: &Scope,
    scenario: &Scenario,
    execute: bool,
    bootstrap: &str,
) -> Result<(), String> {
    let fail = |e| connect::describe(&e, bootstrap);
    let mut results: BTreeMap<String, NewOffsets> = BTreeMap::new();
    for group in groups {
        let state = admin
            .describe_groups(vec![group.clone()])
            .await
            .map_err(fail)?
            .into_iter()
            .next()
            .map_or_else(|| "Dead".to_string(), |g| g.state);
        if !matches!(state.as_str(), "Empty" | "Dead") {
            eprintln!(
                "\nError: Assignments can only be reset if the group '{group}' is inactive, but the current state is {state}."
            );
            results.insert(group.clone(), NewOffsets::new());
            continue;
        }
        let offsets = new_offsets(admin, group, scope, scenario, bootstrap).await?;
        if execute {
            commit(admin, group, &offsets, bootstrap).await?;
        }
        results.insert(group.clone(), offsets);
    }
    print!("{}", table(&results));
    Ok(())
}

/// The group's committed offsets.
async fn committed(
    admin: &Admin,
    group: &str,
    bootstrap: &str,
) -> Result<BTreeMap<(String, i32), i64>, String> {
    let topics = admin
        .fetch_offsets(FetchOffsetsRequest {
            group_id: group.to_string(),
            topics: Vec::new(),
        })
        .await
        .map_err(|e| connect::describe(&e, bootstrap))?;
    Ok(topics
        .into_iter()
        .flat_map(|t| {
            let topic = t.topic;
            t.partitions
                .into_iter()
                .filter(|p| p.offset >= 0)
                .map(move |p| ((topic.clone(), p.partition), p.offset))
        })
        .collect())
}

async fn new_offsets(
    admin: &Admin,
    group: &str,
    scope: &Scope,
    scenario: &Scenario,
    bootstrap: &str,
) -> Result<NewOffsets, String> {
    let fail = |e| connect::describe(&e, bootstrap);
    let needs_committed =
        matches!(scope, Scope::AllTopics) || matches!(scenario, Scenario::ShiftBy(_));
    let current = if needs_committed {
        committed(admin, group, bootstrap).await?
    } else {
        BTreeMap::new()
    };
    let wanted: Vec<(String, Option<Vec<i32>>)> = match scope {
        Scope::Topics(topics) => topics.clone(),
        Scope::AllTopics => {
            let mut by_topic: BTreeMap<String, Vec<i32>> = BTreeMap::new();
            for (topic, partition) in current.keys() {
                by_topic.entry(topic.clone()).or_default().push(*partition);
            }
            by_topic.into_iter().map(|(t, ps)| (t, Some(ps))).collect()
        }
    };
    let mut out = NewOffsets::new();
    let topics: BTreeSet<&String> = wanted.iter().map(|(t, _)| t).collect();
    for topic in topics {
        let bounds: BTreeMap<i32, (i64, i64)> = admin
            .fetch_topic_offsets(topic.clone())
            .await
            .map_err(fail)?
            .into_iter()
            .map(|p| (p.partition, (p.low, p.high)))
            .collect();
        let at_time: BTreeMap<i32, i64> = match scenario {
            Scenario::Datetime(timestamp) => admin
                .fetch_topic_offsets_by_timestamp(topic.clone(), Some(*timestamp))
                .await
                .map_err(fail)?
                .into_iter()
                .map(|p| (p.partition, p.offset))
                .collect(),
            _ => BTreeMap::new(),
        };
        let mut partitions: BTreeSet<i32> = BTreeSet::new();
        for (_, named) in wanted.iter().filter(|(t, _)| t == topic) {
            match named {
                Some(named) => partitions.extend(named),
                None => partitions.extend(bounds.keys()),
            }
        }
        for partition in partitions {
            let tp = format!("{topic}-{partition}");
            let &(low, high) = bounds
                .get(&partition)
                .ok_or_else(|| format!("Error getting offsets of topic partition: {tp}"))?;
            let offset = match scenario {
                Scenario::Earliest => low,
                Scenario::Latest => high,
                Scenario::Offset(offset) => (*offset).clamp(low, high),
                Scenario::ShiftBy(shift) => {
                    let committed = current.get(&(topic.clone(), partition)).ok_or_else(|| {
                        format!("Cannot shift offset for partition {tp} since there is no current committed offset")
                    })?;
                    committed.saturating_add(*shift).clamp(low, high)
                }
                Scenario::Datetime(_) => *at_time.get(&partition).ok_or_else(|| {
                    format!("Error getting offset by timestamp of topic partition: {tp}")
                })?,
            };
            out.insert((topic.clone(), partition), offset);
        }
    }
    Ok(out)
}

/// Commits `offsets` for the (inactive) group, one topic at a time.
async fn commit(
    admin: &Admin,
    group: &str,
    offsets: &NewOffsets,
    bootstrap: &str,
) -> Result<(), String> {
    let mut by_topic: BTreeMap<&String, Vec<SeekEntry>> = BTreeMap::new();
    for ((topic, partition), offset) in offsets {
        by_topic.entry(topic).or_default().push(SeekEntry {
            partition: *partition,
            offset: *offset,
        });
    }
    for (topic, partitions) in by_topic {
        let refused = admin
            .set_offsets(SetOffsetsRequest {
                group_id: group.to_string(),
                topic: topic.clone(),
                partitions,
            })
            .await
            .map_err(|e| connect::describe(&e, bootstrap))?;
        if let Some(state) = refused {
            return Err(format!(
                "Assignments can only be reset if the group '{group}' is inactive, but the current state is {state}."
            ));
        }
    }
    Ok(())
}

/// Kafka's reset table: a header when there is any group, a row per partition.
fn table(results: &BTreeMap<String, NewOffsets>) -> String {
    let row = |group: &str, topic: &str, partition: &str, offset: &str| {
        format!("\n{group:<30} {topic:<30} {partition:<10} {offset:<15}")
    };
    let mut out = String::new();
    if !results.is_empty() {
        out.push_str(&row("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"));
    }
    for (group, offsets) in results {
        for ((topic, partition), offset) in offsets {
            out.push_str(&row(
                group,
                topic,
                &partition.to_string(),
                &offset.to_string(),
            ));
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_topics_with_and_without_partitions() {
        assert_eq!(
            parse_topics(&["a".into(), "b:0,2".into()]),
            Ok(Scope::Topics(vec![
                ("a".into(), None),
                ("b".into(), Some(vec![0, 2]))
            ]))
        );
        assert_eq!(
            parse_topics(&["b:x".into()]),
            Err("Invalid partition 'x' specified in topic arg 'b:x''".into())
        );
    }

    #[test]
    fn prints_kafkas_reset_table() {
        let mut offsets = NewOffsets::new();
        offsets.insert(("t1".into(), 0), 5);
        let results = BTreeMap::from([("g1".to_string(), offsets)]);
        assert_eq!(
            table(&results),
            format!(
                "\n{:<30} {:<30} {:<10} {:<15}\n{:<30} {:<30} {:<10} {:<15}\n",
                "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET", "g1", "t1", "0", "5"
            )
        );
    }
}
