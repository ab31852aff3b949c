//! The pid files of running servers: each `server-start` (in the foreground or `-daemon`)
//! writes `ferrokafka-server-<pid>.pid` into the tools' log directory while it listens, so that
//! `server-stop` finds the servers started from the same installation (or the same `LOG_DIR`),
//! as kafka-server-stop.sh finds Kafka's JVMs. A file whose process is gone is removed.

use std::io;
use std::path::{Path, PathBuf};

const PREFIX: &str = "ferrokafka-server-";
const SUFFIX: &str = ".pid";

/// A running server as its pid file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub pid: u32,
    pub node_id: Option<String>,
    pub process_roles: Option<String>,
}

/// This process's pid file; removed when dropped.
#[derive(Debug)]
pub struct Registration {
    path: PathBuf,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Writes this process's pid file into `dir` (creating it).
pub fn register(
    dir: &Path,
    node_id: i32,
    process_roles: Option<&str>,
    bootstrap: &str,
) -> io::Result<Registration> {
    std::fs::create_dir_all(dir)?;
    let pid = std::process::id();
    let path = dir.join(format!("{PREFIX}{pid}{SUFFIX}"));
    let mut text = format!("pid={pid}\nnode.id={node_id}\nlisteners={bootstrap}\n");
    if let Some(roles) = process_roles {
        text.push_str(&format!("process.roles={roles}\n"));
    }
    std::fs::write(&path, text)?;
    Ok(Registration { path })
}

/// The servers whose pid files are in `dir` and whose processes still run a server.
pub fn running(dir: &Path) -> Vec<Server> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut servers = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|n| n.strip_suffix(SUFFIX))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if !runs_a_server(pid) {
            let _ = std::fs::remove_file(entry.path());
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let properties = crate::properties::parse(&text);
        servers.push(Server {
            pid,
            node_id: properties.get("node.id").cloned(),
            process_roles: properties.get("process.roles").cloned(),
        });
    }
    servers.sort_by_key(|s| s.pid);
    servers
}

/// Whether `pid` is alive, ours to signal, and (where the system tells) a `server-start`: a
/// pid file left by a crash must not name a process that took the pid over since.
#[cfg(unix)]
fn runs_a_server(pid: u32) -> bool {
    let Some(process) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    if rustix::process::test_kill_process(process).is_err() {
        return false;
    }
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => String::from_utf8_lossy(&cmdline).contains("server-start"),
        Err(_) => !Path::new("/proc/self").exists(),
    }
}

#[cfg(not(unix))]
fn runs_a_server(_pid: u32) -> bool {
    false
}

/// Sends SIGTERM to `pid`, as kafka-server-stop.sh does.
#[cfg(unix)]
pub fn terminate(pid: u32) -> io::Result<()> {
    let process = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid pid"))?;
    rustix::process::kill_process(process, rustix::process::Signal::TERM).map_err(io::Error::from)
}

#[cfg(not(unix))]
pub fn terminate(_pid: u32) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "stopping a server by signal needs a Unix system",
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn lists_registered_servers_and_drops_stale_files() {
        let dir =
            std::env::temp_dir().join(format!("ferrokafka-pids-{}", crate::storage::random_uuid()));
        let registration = register(&dir, 7, Some("broker,controller"), "127.0.0.1:1").unwrap();
        std::fs::write(
            dir.join(format!("{PREFIX}{}{SUFFIX}", u32::MAX / 2)),
            "pid=0\n",
        )
        .unwrap();
        std::fs::write(dir.join("other.pid"), "").unwrap();
        // The test binary is no server-start, so on Linux its own file counts as stale.
        let expected = if Path::new("/proc/self").exists() {
            vec![]
        } else {
            vec![Server {
                pid: std::process::id(),
                node_id: Some("7".to_string()),
                process_roles: Some("broker,controller".to_string()),
            }]
        };
        assert_eq!(running(&dir), expected);
        assert!(!dir
            .join(format!("{PREFIX}{}{SUFFIX}", u32::MAX / 2))
            .exists());
        assert!(dir.join("other.pid").exists());
        drop(registration);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
