//! `server-start -daemon`, as kafka-run-class.sh runs Kafka: the server is started again as a
//! process of its own, detached from the terminal, with its output in `<LOG_DIR>/kafkaServer.out`
//! (`LOG_DIR`, default `<install>/logs`). Unlike Kafka's script, the command returns only once
//! the server listens (or with the server's error if it stopped first): the new process reports
//! its address over a loopback connection the starting one listens on.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Where a server started with `-daemon` reports that it listens: `<address> <token>`.
const NOTIFY_ENV: &str = "FERROKAFKA_DAEMON_NOTIFY";
/// The daemon's output file, named as Kafka's `kafkaServer.out`.
const OUTPUT_FILE: &str = "kafkaServer.out";

/// How to run this program again: the command (program and leading arguments) that takes a
/// `ferrokafka` subcommand and its arguments. Inside Node it is `node <package>/bin/ferrokafka.js`.
#[derive(Debug, Clone)]
pub struct Launcher {
    command: Vec<String>,
}

impl Launcher {
    /// This executable.
    pub fn current_exe() -> Launcher {
        let exe = std::env::current_exe()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "ferrokafka".to_string());
        Launcher { command: vec![exe] }
    }

    /// The given command; an empty one means this executable.
    pub fn new(command: Vec<String>) -> Launcher {
        if command.is_empty() {
            Launcher::current_exe()
        } else {
            Launcher { command }
        }
    }

    /// The tools' log directory: `LOG_DIR`, else `logs` beside the directory of the program
    /// (or script) that runs them, as kafka-run-class.sh picks `<kafka>/logs`.
    pub fn log_dir(&self) -> PathBuf {
        self.log_dir_with(std::env::var_os("LOG_DIR"))
    }

    fn log_dir_with(&self, log_dir: Option<std::ffi::OsString>) -> PathBuf {
        if let Some(dir) = log_dir.filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        let program = self.command.last().map(PathBuf::from).unwrap_or_default();
        let program = std::fs::canonicalize(&program).unwrap_or(program);
        match program.parent().and_then(Path::parent) {
            Some(install) if !install.as_os_str().is_empty() => install.join("logs"),
            _ => std::env::temp_dir().join("ferrokafka-logs"),
        }
    }
}

/// Starts `ferrokafka <args>` in the background and returns the line it printed once listening.
pub fn start(launcher: &Launcher, args: &[String], log_dir: &Path) -> Result<String, String> {
    std::fs::create_dir_all(log_dir)
        .map_err(|e| format!("cannot create the log directory {}: {e}", log_dir.display()))?;
    let output_path = log_dir.join(OUTPUT_FILE);
    let output = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&output_path)
        .map_err(|e| format!("cannot open {}: {e}", output_path.display()))?;
    let start = output.metadata().map(|m| m.len()).unwrap_or(0);
    let stderr = output
        .try_clone()
        .map_err(|e| format!("cannot open {}: {e}", output_path.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let outcome = runtime.block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| format!("cannot listen for the server's start: {e}"))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let token = format!("{:016x}", fastrand::u64(..));
        let mut command = tokio::process::Command::new(&launcher.command[0]);
        command
            .args(&launcher.command[1..])
            .args(args)
            .env(NOTIFY_ENV, format!("{address} {token}"))
            .env("LOG_DIR", log_dir)
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(stderr);
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", launcher.command[0]))?;
        let pid = child.id().unwrap_or_default();
        tokio::select! {
            line = started_line(&listener, &token) => Ok((line, pid)),
            status = child.wait() => Err(match status {
                Ok(status) => format!("the server stopped ({status}) before listening"),
                Err(e) => format!("the server stopped before listening: {e}"),
            }),
        }
    });
    match outcome {
        Ok((line, pid)) => Ok(format!(
            "{line}\nrunning in the background as process {pid}; its output goes to {}",
            output_path.display()
        )),
        Err(message) => Err(format!(
            "{message}; its output ({}):\n{}",
            output_path.display(),
            output_since(&output_path, start).trim_end()
        )),
    }
}

/// The first line sent with `token` to `listener`.
async fn started_line(listener: &TcpListener, token: &str) -> String {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let mut line = String::new();
        if BufReader::new(stream).read_line(&mut line).await.is_err() {
            continue;
        }
        if let Some(started) = line.trim_end().strip_prefix(token) {
            return started.trim_start().to_string();
        }
    }
}

/// What the daemon wrote to its output file from `start` on.
fn output_since(path: &Path, start: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        if file.seek(SeekFrom::Start(start)).is_ok() {
            let _ = file.read_to_string(&mut text);
        }
    }
    text
}

/// Whether this process is a server started with `-daemon`.
pub fn is_daemon() -> bool {
    std::env::var_os(NOTIFY_ENV).is_some()
}

/// In a server started with `-daemon`: tells the starting command that it listens.
pub async fn report_started(line: &str) {
    let Some(notify) = std::env::var(NOTIFY_ENV).ok() else {
        return;
    };
    let Some((address, token)) = notify.split_once(' ') else {
        return;
    };
    if let Ok(mut stream) = TcpStream::connect(address).await {
        let _ = stream
            .write_all(format!("{token} {line}\n").as_bytes())
            .await;
        let _ = stream.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_go_to_log_dir_else_beside_the_programs_directory() {
        let launcher = Launcher::new(vec![
            "node".to_string(),
            "/opt/pkg/bin/ferrokafka.js".to_string(),
        ]);
        assert_eq!(launcher.log_dir_with(None), PathBuf::from("/opt/pkg/logs"));
        assert_eq!(
            launcher.log_dir_with(Some("/var/log/kafka".into())),
            PathBuf::from("/var/log/kafka")
        );
    }
}
