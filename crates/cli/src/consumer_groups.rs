//! `consumer-groups`: kafka-consumer-groups.sh — list groups, describe a group's offsets and
//! lag (Kafka's GROUP TOPIC PARTITION ... table) or its members, delete groups, and reset their
//! offsets (`--reset-offsets`, see `reset_offsets.rs`).

use std::collections::BTreeMap;

use ferrokafka_client::admin::{Admin, FetchOffsetsRequest, GroupDescription};
use kafka_protocol::messages::ConsumerProtocolAssignment;
use kafka_protocol::protocol::Decodable;

use crate::connect;
use crate::reset_offsets::{self, Scenario, Scope};

/// Arguments of `consumer-groups`, named as kafka-consumer-groups.sh names them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Kafka server to connect to (host:port, comma-separated).
    #[arg(long, value_name = "SERVERS")]
    bootstrap_server: Option<String>,
    /// List all consumer groups.
    #[arg(long)]
    list: bool,
    /// Describe the groups' offsets and lag (or --members).
    #[arg(long)]
    describe: bool,
    /// Delete the groups.
    #[arg(long)]
    delete: bool,
    /// With --describe: the groups' members instead of their offsets.
    #[arg(long)]
    members: bool,
    /// The group to act on; may repeat.
    #[arg(long = "group")]
    groups: Vec<String>,
    /// Act on every group.
    #[arg(long)]
    all_groups: bool,
    /// Reset the groups' offsets (printed only, unless --execute).
    #[arg(long)]
    reset_offsets: bool,
    /// With --reset-offsets: a topic (`t`) or some of its partitions (`t:0,1`); may repeat.
    #[arg(long = "topic")]
    topics: Vec<String>,
    /// With --reset-offsets: every topic the group committed offsets for.
    #[arg(long)]
    all_topics: bool,
    /// Reset to each partition's earliest offset.
    #[arg(long)]
    to_earliest: bool,
    /// Reset to each partition's latest offset.
    #[arg(long)]
    to_latest: bool,
    /// Reset to this offset (within each partition's range).
    #[arg(long, value_name = "OFFSET", allow_negative_numbers = true)]
    to_offset: Option<i64>,
    /// Move each committed offset by this many (negative: back).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    shift_by: Option<i64>,
    /// Reset to the first offset at or after this time, YYYY-MM-DDTHH:mm:SS.sss.
    #[arg(long, value_name = "DATETIME")]
    to_datetime: Option<String>,
    /// Only print the new offsets (the default).
    #[arg(long)]
    dry_run: bool,
    /// Commit the new offsets.
    #[arg(long)]
    execute: bool,
}

/// The `--reset-offsets` scope and scenario, checked as Kafka checks them.
fn reset_plan(args: &Args) -> Result<(Scope, Scenario), String> {
    if args.dry_run && args.execute {
        return Err("Option [reset-offsets] only accepts one of [execute] and [dry-run]".into());
    }
    if !args.dry_run && !args.execute {
        eprintln!("{}", reset_offsets::DRY_RUN_WARNING);
    }
    if args.groups.is_empty() && !args.all_groups {
        return Err(
            "Option [reset-offsets] takes one of these options: [all-groups], [group]".into(),
        );
    }
    let mut scenarios = Vec::new();
    if args.to_earliest {
        scenarios.push(("to-earliest", Scenario::Earliest));
    }
    if args.to_latest {
        scenarios.push(("to-latest", Scenario::Latest));
    }
    if let Some(offset) = args.to_offset {
        scenarios.push(("to-offset", Scenario::Offset(offset)));
    }
    if let Some(shift) = args.shift_by {
        scenarios.push(("shift-by", Scenario::ShiftBy(shift)));
    }
    if let Some(text) = &args.to_datetime {
        scenarios.push((
            "to-datetime",
            Scenario::Datetime(crate::datetime::parse(text)?),
        ));
    }
    let scenario = match scenarios.len() {
        0 => return Err("Option '[reset-offsets]' requires one of the following scenarios: [to-offset], [to-datetime], [to-earliest], [to-latest], [shift-by]".into()),
        1 => scenarios.remove(0).1,
        _ => {
            return Err(format!(
                "Option \"[{}]\" can't be used with option \"[{}]\"",
                scenarios[0].0, scenarios[1].0
            ))
        }
    };
    let scope = match (args.all_topics, args.topics.is_empty()) {
        (true, true) => Scope::AllTopics,
        (false, false) => reset_offsets::parse_topics(&args.topics)?,
        (true, false) => {
            return Err("Option \"[all-topics]\" can't be used with option \"[topic]\"".into())
        }
        (false, true) => {
            return Err("One of the reset scopes should be defined: --all-topics, --topic.".into())
        }
    };
    Ok((scope, scenario))
}

pub fn run(args: Args) -> i32 {
    match execute(args) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("Error: {message}");
            1
        }
    }
}

fn execute(args: Args) -> Result<(), String> {
    let actions = [args.list, args.describe, args.delete, args.reset_offsets];
    if actions.iter().filter(|a| **a).count() != 1 {
        return Err(
            "Command must include exactly one action: --list, --describe, --delete, --reset-offsets"
                .to_string(),
        );
    }
    let reset = args.reset_offsets.then(|| reset_plan(&args)).transpose()?;
    let bootstrap = args
        .bootstrap_server
        .clone()
        .ok_or("Missing required argument \"[bootstrap-server]\"")?;
    let admin = connect::admin(&bootstrap, "kafka-consumer-groups")?;
    let fail = |e| connect::describe(&e, &bootstrap);
    crate::runtime()?.block_on(async {
        let mut groups = args.groups.clone();
        if args.list || args.all_groups {
            let mut listed: Vec<String> = admin
                .list_groups()
                .await
                .map_err(fail)?
                .into_iter()
                .map(|g| g.group_id)
                .collect();
            listed.sort();
            if args.list {
                for group in listed {
                    println!("{group}");
                }
                return Ok(());
            }
            groups = listed;
        }
        if let Some((scope, scenario)) = &reset {
            return reset_offsets::reset(
                &admin,
                &groups,
                scope,
                scenario,
                args.execute,
                &bootstrap,
            )
            .await;
        }
        if groups.is_empty() {
            return Err(
                "Option [describe] or [delete] takes one of these options: [all-groups], [group]"
                    .to_string(),
            );
        }
        if args.delete {
            let results = admin.delete_groups(groups).await.map_err(fail)?;
            let mut failed = Vec::new();
            for result in &results {
                if result.error_code == 0 {
                    continue;
                }
                failed.push(format!(
                    "{}: {}",
                    result.group_id,
                    ferrokafka_client::Error::from_code(result.error_code, None).map_or_else(
                        || format!("error code {}", result.error_code),
                        |e| e.to_string()
                    )
                ));
            }
            if failed.is_empty() {
                let names: Vec<_> = results
                    .iter()
                    .map(|r| format!("'{}'", r.group_id))
                    .collect();
                println!(
                    "Deletion of requested consumer groups ({}) was successful.",
                    names.join(", ")
                );
                return Ok(());
            }
            return Err(format!(
                "Deletion of some consumer groups failed: {}",
                failed.join("; ")
            ));
        }
        for group in groups {
            let description = admin
                .describe_groups(vec![group.clone()])
                .await
                .map_err(fail)?
                .into_iter()
                .next()
                .ok_or_else(|| format!("Consumer group '{group}' does not exist."))?;
            if description.state == "Dead" {
                return Err(format!("Consumer group '{group}' does not exist."));
            }
            if args.members {
                print!("{}", members_table(&description));
            } else {
                let rows = offset_rows(&admin, &description).await.map_err(fail)?;
                if description.members.is_empty() {
                    println!("\nConsumer group '{group}' has no active members.");
                }
                print!("{}", offsets_table(&rows));
            }
        }
        Ok(())
    })
}

/// One row of the offsets table.
#[derive(Debug, Clone, PartialEq)]
struct OffsetRow {
    group: String,
    topic: String,
    partition: i32,
    current: Option<i64>,
    end: Option<i64>,
    consumer_id: String,
    host: String,
    client_id: String,
}

/// The partitions each member was assigned, decoded from its assignment bytes.
fn assignments(description: &GroupDescription) -> BTreeMap<(String, i32), usize> {
    let mut out = BTreeMap::new();
    for (index, member) in description.members.iter().enumerate() {
        let mut bytes = bytes::Bytes::from(member.member_assignment.clone());
        if bytes.len() < 2 {
            continue;
        }
        let version = i16::from_be_bytes([bytes[0], bytes[1]]);
        let _ = bytes::Buf::get_i16(&mut bytes);
        if let Ok(assignment) = ConsumerProtocolAssignment::decode(&mut bytes, version.clamp(0, 3))
        {
            for topic in assignment.assigned_partitions {
                for partition in topic.partitions {
                    out.insert((topic.topic.0.to_string(), partition), index);
                }
            }
        }
    }
    out
}

async fn offset_rows(
    admin: &Admin,
    description: &GroupDescription,
) -> Result<Vec<OffsetRow>, ferrokafka_client::retry::RetryError> {
    let assigned = assignments(description);
    let committed = admin
        .fetch_offsets(FetchOffsetsRequest {
            group_id: description.group_id.clone(),
            topics: Vec::new(),
        })
        .await?;
    let mut partitions: BTreeMap<(String, i32), Option<i64>> = BTreeMap::new();
    for topic in committed {
        for p in topic.partitions {
            if p.offset >= 0 {
                partitions.insert((topic.topic.clone(), p.partition), Some(p.offset));
            }
        }
    }
    for tp in assigned.keys() {
        partitions.entry(tp.clone()).or_insert(None);
    }
    let mut ends: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let topics: std::collections::BTreeSet<String> =
        partitions.keys().map(|(t, _)| t.clone()).collect();
    for topic in topics {
        for p in admin.fetch_topic_offsets(topic.clone()).await? {
            ends.insert((topic.clone(), p.partition), p.high);
        }
    }
    Ok(partitions
        .into_iter()
        .map(|(tp, current)| {
            let member = assigned.get(&tp).map(|i| &description.members[*i]);
            OffsetRow {
                group: description.group_id.clone(),
                end: ends.get(&tp).copied(),
                topic: tp.0,
                partition: tp.1,
                current,
                consumer_id: member.map_or("-".into(), |m| m.member_id.clone()),
                host: member.map_or("-".into(), |m| m.client_host.clone()),
                client_id: member.map_or("-".into(), |m| m.client_id.clone()),
            }
        })
        .collect())
}

/// Rows as a table whose columns are as wide as their widest cell (at least `minimum`).
fn table(header: &[&str], rows: &[Vec<String>], minimum: &[usize]) -> String {
    let widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([h.len(), minimum[i]])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$} ", width = widths[i]));
            }
        }
        out.push('\n');
        out
    };
    let mut out = String::from("\n");
    out.push_str(&line(header.to_vec()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn offsets_table(rows: &[OffsetRow]) -> String {
    let opt = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let lag = match (r.current, r.end) {
                (Some(c), Some(e)) => (e - c).max(0).to_string(),
                _ => "-".to_string(),
            };
            vec![
                r.group.clone(),
                r.topic.clone(),
                r.partition.to_string(),
                opt(r.current),
                opt(r.end),
                lag,
                r.consumer_id.clone(),
                r.host.clone(),
                r.client_id.clone(),
            ]
        })
        .collect();
    table(
        &[
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "LOG-END-OFFSET",
            "LAG",
            "CONSUMER-ID",
            "HOST",
            "CLIENT-ID",
        ],
        &cells,
        &[15, 15, 10, 15, 15, 15, 15, 15, 0],
    )
}

fn members_table(description: &GroupDescription) -> String {
    let assigned = assignments(description);
    let cells: Vec<Vec<String>> = description
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            vec![
                description.group_id.clone(),
                m.member_id.clone(),
                m.client_host.clone(),
                m.client_id.clone(),
                assigned.values().filter(|v| **v == i).count().to_string(),
            ]
        })
        .collect();
    table(
        &["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"],
        &cells,
        &[15, 15, 15, 15, 0],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_kafkas_offsets_table() {
        let text = offsets_table(&[OffsetRow {
            group: "g1".into(),
            topic: "t1".into(),
            partition: 0,
            current: Some(1),
            end: Some(3),
            consumer_id: "-".into(),
            host: "-".into(),
            client_id: "-".into(),
        }]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "");
        assert!(lines[1].starts_with("GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID"));
        assert_eq!(
            lines[2],
            "g1              t1              0          1               3               2               -               -               -"
        );
    }
}
