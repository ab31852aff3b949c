//! `storage`: kafka-storage.sh's `random-uuid` (a new cluster id) and `format` (writes
//! `meta.properties` into every log directory of a server.properties, as Kafka does before a
//! KRaft node's first start). The broker then starts on a formatted directory with its cluster
//! id and refuses a directory of another node or cluster.

use std::path::{Path, PathBuf};

use ferrokafka_broker::BrokerConfig;

/// The directory's identity file, as Kafka names it.
const META_PROPERTIES: &str = "meta.properties";
/// The metadata version `format` reports, that of the Kafka release this broker speaks as.
const METADATA_VERSION: &str = "4.0-IV3";

/// Arguments of `storage`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print a random UUID, for a new cluster id.
    RandomUuid,
    /// Format the log directories of a server.properties for a new node.
    Format(Format),
}

/// Arguments of `storage format`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("controllers").multiple(false)))]
struct Format {
    /// The server.properties whose log.dirs (and metadata.log.dir) are formatted.
    #[arg(short = 'c', long = "config", required = true)]
    config: PathBuf,
    /// The cluster id (see `random-uuid`).
    #[arg(short = 't', long = "cluster-id", required = true)]
    cluster_id: String,
    /// Skip directories that are already formatted instead of failing.
    #[arg(short = 'g', long = "ignore-formatted")]
    ignore_formatted: bool,
    /// This node is the only controller of a new cluster.
    #[arg(short = 's', long, group = "controllers")]
    standalone: bool,
    /// The controllers of a new cluster, as id@host:port:directory-id,...
    #[arg(
        short = 'I',
        long,
        group = "controllers",
        value_name = "INITIAL_CONTROLLERS"
    )]
    initial_controllers: Option<String>,
    /// The cluster's controllers are added later.
    #[arg(short = 'N', long, group = "controllers")]
    no_initial_controllers: bool,
}

pub fn run(args: Args) -> i32 {
    match args.command {
        Command::RandomUuid => {
            println!("{}", random_uuid());
            0
        }
        Command::Format(format) => match run_format(&format) {
            Ok(lines) => {
                for line in lines {
                    println!("{line}");
                }
                0
            }
            Err(message) => {
                eprintln!("{message}");
                1
            }
        },
    }
}

/// A random UUID as Kafka prints it: 22 characters of URL-safe base64, never starting with
/// `-` (so it is never mistaken for a flag).
pub fn random_uuid() -> String {
    loop {
        let id = ferrokafka_broker::config::random_cluster_id();
        if !id.starts_with('-') {
            return id;
        }
    }
}

/// Formats every log directory; returns the lines to print, or the message of the failure.
fn run_format(format: &Format) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(&format.config)
        .map_err(|e| format!("Cannot read {}: {e}", format.config.display()))?;
    let properties = crate::properties::parse(&text);
    let roles = properties
        .get("process.roles")
        .map(String::as_str)
        .unwrap_or("");
    let controller = roles.split(',').any(|r| r.trim() == "controller");
    let chosen =
        format.standalone || format.initial_controllers.is_some() || format.no_initial_controllers;
    if controller && !properties.contains_key("controller.quorum.voters") && !chosen {
        return Err("Because controller.quorum.voters is not set on this controller, you must specify one of the following: --standalone, --initial-controllers, or --no-initial-controllers.".to_string());
    }
    let metadata_dir = properties.get("metadata.log.dir").cloned();
    let config = BrokerConfig::from_properties(properties).map_err(|e| e.to_string())?;
    let dirs = log_dirs(&config, metadata_dir.as_deref());
    let metadata = dirs.first().cloned();
    let mut todo = Vec::new();
    for dir in &dirs {
        if dir.join(META_PROPERTIES).exists() {
            if !format.ignore_formatted {
                return Err(format!(
                    "Log directory {} is already formatted. Use --ignore-formatted to ignore this directory and format the others.",
                    dir.display()
                ));
            }
        } else {
            todo.push(dir);
        }
    }
    if todo.is_empty() {
        return Ok(vec![
            "All of the log directories are already formatted.".to_string()
        ]);
    }
    let mut lines = Vec::new();
    for dir in todo {
        write_meta_properties(dir, config.node_id, &format.cluster_id)
            .map_err(|e| format!("Cannot format log directory {}: {e}", dir.display()))?;
        let kind = match (Some(dir) == metadata.as_ref(), format.standalone) {
            (true, true) => "dynamic metadata voter",
            (true, false) => "metadata",
            (false, _) => "data",
        };
        lines.push(format!(
            "Formatting {kind} directory {} with metadata.version {METADATA_VERSION}.",
            dir.display()
        ));
    }
    Ok(lines)
}

/// The directories to format: `metadata.log.dir` first (default: the first log directory),
/// then `log.dirs` (else `log.dir`, else Kafka's `/tmp/kafka-logs`).
fn log_dirs(config: &BrokerConfig, metadata_dir: Option<&str>) -> Vec<PathBuf> {
    let listed = config
        .property("log.dirs")
        .or(config.property("log.dir"))
        .unwrap_or("/tmp/kafka-logs");
    let mut dirs: Vec<PathBuf> = Vec::new();
    let metadata = metadata_dir.map(str::trim).filter(|d| !d.is_empty());
    for dir in metadata.into_iter().chain(listed.split(',').map(str::trim)) {
        if !dir.is_empty() && !dirs.iter().any(|d| d == Path::new(dir)) {
            dirs.push(PathBuf::from(dir));
        }
    }
    dirs
}

/// Writes `meta.properties` as Kafka's formatter does: version 1, the node and cluster ids and
/// a directory id of its own.
fn write_meta_properties(dir: &Path, node_id: i32, cluster_id: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let text = format!(
        "#\n#Written by kafka-storage format\nnode.id={node_id}\ndirectory.id={}\nversion=1\ncluster.id={cluster_id}\n",
        random_uuid()
    );
    let temporary = dir.join(format!("{META_PROPERTIES}.tmp"));
    std::fs::write(&temporary, text)?;
    std::fs::File::open(&temporary)?.sync_all()?;
    std::fs::rename(&temporary, dir.join(META_PROPERTIES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_uuids_look_like_kafkas() {
        let id = random_uuid();
        assert_eq!(id.len(), 22);
        assert!(!id.starts_with('-'));
        assert!(id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn metadata_dir_comes_first_and_once() {
        let config =
            BrokerConfig::from_properties([("log.dirs".to_string(), "/a, /b".to_string())].into())
                .unwrap();
        assert_eq!(
            log_dirs(&config, Some("/b")),
            vec![PathBuf::from("/b"), PathBuf::from("/a")]
        );
        assert_eq!(log_dirs(&config, None)[0], PathBuf::from("/a"));
    }

    #[test]
    fn formats_each_dir_once_unless_told_to_skip_it() {
        let root = std::env::temp_dir().join(format!("ferrokafka-format-{}", random_uuid()));
        let config = root.join("server.properties");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            &config,
            format!(
                "process.roles=broker,controller\nnode.id=4\nlog.dirs={}\n",
                root.join("logs").display()
            ),
        )
        .unwrap();
        let format = |standalone, ignore_formatted| Format {
            config: config.clone(),
            cluster_id: "abc".to_string(),
            ignore_formatted,
            standalone,
            initial_controllers: None,
            no_initial_controllers: false,
        };
        assert!(run_format(&format(false, false))
            .unwrap_err()
            .contains("--standalone"));
        let lines = run_format(&format(true, false)).unwrap();
        assert!(lines[0].starts_with("Formatting dynamic metadata voter directory"));
        let meta = crate::properties::parse(
            &std::fs::read_to_string(root.join("logs").join(META_PROPERTIES)).unwrap(),
        );
        assert_eq!(meta["node.id"], "4");
        assert_eq!(meta["cluster.id"], "abc");
        assert!(run_format(&format(true, false))
            .unwrap_err()
            .contains("is already formatted"));
        assert_eq!(
            run_format(&format(true, true)).unwrap(),
            vec!["All of the log directories are already formatted."]
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
