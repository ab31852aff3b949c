//! `topics`: kafka-topics.sh with its flags — create, list, describe (in Kafka's output
//! format), delete, and alter the partition count of topics.

use ferrokafka_client::admin::{
    Admin, ConfigValueEntry, CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest,
    DescribeConfigsRequest, NewTopic, ResourceQuery, TopicPartitionsCount,
};
use ferrokafka_client::Error;

use crate::connect;

/// DescribeConfigs's resource type of a topic.
const TOPIC_RESOURCE: i8 = 2;
/// TOPIC_ALREADY_EXISTS.
const TOPIC_ALREADY_EXISTS: i16 = 36;

/// Arguments of `topics`, named as kafka-topics.sh names them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Kafka server to connect to (host:port, comma-separated).
    #[arg(long, value_name = "SERVERS")]
    bootstrap_server: Option<String>,
    /// Refused: ZooKeeper mode is gone; use --bootstrap-server.
    #[arg(long, hide = true)]
    zookeeper: Option<String>,
    /// Create a new topic.
    #[arg(long)]
    create: bool,
    /// List all available topics.
    #[arg(long)]
    list: bool,
    /// List details for the given topics.
    #[arg(long)]
    describe: bool,
    /// Delete a topic.
    #[arg(long)]
    delete: bool,
    /// Alter the number of partitions of a topic.
    #[arg(long)]
    alter: bool,
    /// The topic to create, alter, describe or delete.
    #[arg(long)]
    topic: Option<String>,
    /// The number of partitions for the topic being created or altered.
    #[arg(long)]
    partitions: Option<i32>,
    /// The replication factor for each partition in the topic being created.
    #[arg(long)]
    replication_factor: Option<i32>,
    /// A topic configuration override, as key=value; may repeat.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    configs: Vec<String>,
    /// Create the topic only if it does not exist yet.
    #[arg(long)]
    if_not_exists: bool,
    /// Alter, describe or delete the topic only if it exists.
    #[arg(long)]
    if_exists: bool,
    /// Leave internal topics out of --list and --describe.
    #[arg(long)]
    exclude_internal: bool,
}

pub fn run(args: Args) -> i32 {
    match execute(args) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("Error while executing topic command : {message}");
            1
        }
    }
}

fn execute(args: Args) -> Result<(), String> {
    if args.zookeeper.is_some() {
        return Err(
            "--zookeeper is not supported: ZooKeeper mode is gone, use --bootstrap-server instead"
                .to_string(),
        );
    }
    let actions = [
        args.create,
        args.list,
        args.describe,
        args.delete,
        args.alter,
    ];
    if actions.iter().filter(|a| **a).count() != 1 {
        return Err(
            "Command must include exactly one action: --list, --describe, --create, --alter or --delete"
                .to_string(),
        );
    }
    let bootstrap = args
        .bootstrap_server
        .clone()
        .ok_or("Missing required argument \"[bootstrap-server]\"")?;
    if (args.create || args.alter || args.delete) && args.topic.is_none() {
        return Err("Missing required argument \"[topic]\"".to_string());
    }
    let admin = connect::admin(&bootstrap, "kafka-topics")?;
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let service = Service {
            admin,
            bootstrap: &bootstrap,
        };
        if args.create {
            service.create(&args).await
        } else if args.list {
            for topic in service.topics(&args).await? {
                println!("{topic}");
            }
            Ok(())
        } else if args.describe {
            service.describe(&args).await
        } else if args.delete {
            service.delete(&args).await
        } else {
            service.alter(&args).await
        }
    })
}

struct Service<'a> {
    admin: Admin,
    bootstrap: &'a str,
}

impl Service<'_> {
    fn fail(&self, error: ferrokafka_client::retry::RetryError) -> String {
        connect::describe(&error, self.bootstrap)
    }

    async fn create(&self, args: &Args) -> Result<(), String> {
        let name = args.topic.clone().unwrap_or_default();
        if let Some(rf) = args.replication_factor {
            if !(1..=i32::from(i16::MAX)).contains(&rf) {
                return Err(format!(
                    "The replication factor must be between 1 and {} inclusive",
                    i16::MAX
                ));
            }
        }
        if args.partitions.is_some_and(|p| p < 1) {
            return Err("The partitions must be greater than 0".to_string());
        }
        let config_entries = parse_configs(&args.configs)?;
        if name.contains('.') || name.contains('_') {
            println!("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.");
        }
        let outcome = self
            .admin
            .create_topics(CreateTopicsRequest {
                topics: vec![NewTopic {
                    topic: name.clone(),
                    num_partitions: args.partitions,
                    replication_factor: args.replication_factor.map(|rf| rf as i16),
                    replica_assignment: Vec::new(),
                    config_entries,
                }],
                validate_only: false,
                timeout: None,
                wait_for_leaders: true,
            })
            .await
            .map_err(|e| self.fail(e))?;
        match outcome.topic_errors.first() {
            None => {
                println!("Created topic {name}.");
                Ok(())
            }
            Some(error) if error.error_code == TOPIC_ALREADY_EXISTS => {
                if args.if_not_exists {
                    Ok(())
                } else {
                    Err(format!("Topic '{name}' already exists."))
                }
            }
            Some(error) => Err(code_message(error.error_code)),
        }
    }

    /// The topics the command acts on, sorted; internal ones left out with --exclude-internal.
    async fn topics(&self, args: &Args) -> Result<Vec<String>, String> {
        let mut topics = self.admin.list_topics().await.map_err(|e| self.fail(e))?;
        topics.sort();
        topics.retain(|t| {
            !(args.exclude_internal && t.starts_with("__"))
                && args.topic.as_ref().is_none_or(|wanted| wanted == t)
        });
        Ok(topics)
    }

    /// The matching topics, failing (unless --if-exists) when --topic names one that is absent.
    async fn existing(&self, args: &Args) -> Result<Vec<String>, String> {
        let topics = self.topics(args).await?;
        match &args.topic {
            Some(wanted) if topics.is_empty() && !args.if_exists => {
                Err(format!("Topic '{wanted}' does not exist as expected"))
            }
            _ => Ok(topics),
        }
    }

    async fn describe(&self, args: &Args) -> Result<(), String> {
        let topics = self.existing(args).await?;
        if topics.is_empty() {
            return Ok(());
        }
        let metadata = self
            .admin
            .cluster()
            .refresh(&topics, false)
            .await
            .map_err(|e| connect::describe_error(&e, self.bootstrap))?;
        let configs = self
            .admin
            .describe_configs(DescribeConfigsRequest {
                resources: topics
                    .iter()
                    .map(|t| ResourceQuery {
                        resource_type: TOPIC_RESOURCE,
                        name: t.clone(),
                        config_names: None,
                    })
                    .collect(),
                include_synonyms: false,
            })
            .await
            .map_err(|e| self.fail(e))?;
        for name in &topics {
            let Some(topic) = metadata.topics.get(name) else {
                continue;
            };
            let overrides: Vec<(String, String)> = configs
                .iter()
                .filter(|r| &r.resource_name == name)
                .flat_map(|r| r.config_entries.iter())
                .filter(|e| !e.is_default)
                .map(|e| {
                    (
                        e.config_name.clone(),
                        e.config_value.clone().unwrap_or_else(|| "null".to_string()),
                    )
                })
                .collect();
            let mut partitions = topic.partitions.clone();
            partitions.sort_by_key(|p| p.partition);
            let replication = partitions.first().map_or(0, |p| p.replicas.len());
            print!(
                "{}",
                describe_topic(
                    name,
                    topic.id.as_bytes(),
                    partitions.len(),
                    replication,
                    &overrides
                )
            );
            for p in &partitions {
                print!(
                    "{}",
                    describe_partition(name, p.partition, p.leader, &p.replicas, &p.isr)
                );
            }
        }
        Ok(())
    }

    async fn delete(&self, args: &Args) -> Result<(), String> {
        let topics = self.existing(args).await?;
        if topics.is_empty() {
            return Ok(());
        }
        self.admin
            .delete_topics(DeleteTopicsRequest {
                topics,
                timeout: None,
            })
            .await
            .map_err(|e| self.fail(e))
    }

    async fn alter(&self, args: &Args) -> Result<(), String> {
        let topics = self.existing(args).await?;
        let count = args
            .partitions
            .ok_or("--alter needs --partitions: only the partition count can be altered here")?;
        if topics.is_empty() {
            return Ok(());
        }
        self.admin
            .create_partitions(CreatePartitionsRequest {
                topic_partitions: topics
                    .into_iter()
                    .map(|topic| TopicPartitionsCount {
                        topic,
                        count,
                        assignments: None,
                    })
                    .collect(),
                validate_only: false,
                timeout: None,
            })
            .await
            .map_err(|e| self.fail(e))
    }
}

/// `--config` values as config entries; each must be `key=value`.
fn parse_configs(configs: &[String]) -> Result<Vec<ConfigValueEntry>, String> {
    configs
        .iter()
        .map(|item| match item.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() && !value.contains('=') => {
                Ok(ConfigValueEntry {
                    name: key.trim().to_string(),
                    value: Some(value.trim().to_string()),
                })
            }
            _ => Err("requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".".to_string()),
        })
        .collect()
}

/// A Kafka error code's message.
fn code_message(code: i16) -> String {
    Error::from_code(code, None).map_or_else(|| format!("error code {code}"), |e| e.to_string())
}

/// A topic id as Kafka prints it: URL-safe base64 without padding.
pub fn topic_id(bytes: &[u8; 16]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The topic line of `--describe`; a zero topic id is left out, as Kafka does.
fn describe_topic(
    name: &str,
    id: &[u8; 16],
    partitions: usize,
    replication: usize,
    configs: &[(String, String)],
) -> String {
    let mut line = format!("Topic: {name}");
    if id.iter().any(|b| *b != 0) {
        line.push_str(&format!("\tTopicId: {}", topic_id(id)));
    }
    let configs: Vec<String> = configs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    line.push_str(&format!(
        "\tPartitionCount: {partitions}\tReplicationFactor: {replication}\tConfigs: {}\n",
        configs.join(",")
    ));
    line
}

/// A partition line of `--describe`. The eligible leader replicas come only with
/// DescribeTopicPartitions; from Metadata they are unknown, which Kafka prints as N/A.
fn describe_partition(
    name: &str,
    partition: i32,
    leader: i32,
    replicas: &[i32],
    isr: &[i32],
) -> String {
    let list = |ids: &[i32]| ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let leader = if leader < 0 {
        "none".to_string()
    } else {
        leader.to_string()
    };
    format!(
        "\tTopic: {name}\tPartition: {partition}\tLeader: {leader}\tReplicas: {}\tIsr: {}\tElr: N/A\tLastKnownElr: N/A\n",
        list(replicas),
        list(isr)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_like_kafka_topics() {
        let mut id = [0u8; 16];
        id[15] = 1;
        assert_eq!(
            describe_topic("t1", &id, 1, 1, &[("cleanup.policy".into(), "compact".into())]),
            "Topic: t1\tTopicId: AAAAAAAAAAAAAAAAAAAAAQ\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: cleanup.policy=compact\n"
        );
        assert_eq!(
            describe_topic("t1", &[0; 16], 2, 1, &[]),
            "Topic: t1\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: \n"
        );
        assert_eq!(
            describe_partition("t1", 0, 1, &[1, 2], &[1]),
            "\tTopic: t1\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1\tElr: N/A\tLastKnownElr: N/A\n"
        );
        assert!(describe_partition("t1", 0, -1, &[1], &[]).contains("Leader: none"));
    }

    #[test]
    fn reads_config_overrides() {
        let parsed = parse_configs(&["retention.ms = 1000".into()]).unwrap();
        assert_eq!(parsed[0].name, "retention.ms");
        assert_eq!(parsed[0].value.as_deref(), Some("1000"));
        assert!(parse_configs(&["nokey".into()]).is_err());
    }
}
