//! `server-stop`: stops the servers `server-start` runs (found by their pid files, see
//! `pid_files`) with SIGTERM, as kafka-server-stop.sh does, so they shut down cleanly.
//! `--node-id` or `--process-role` picks some of them; "No kafka server to stop" and exit code 1
//! when none runs.

use crate::daemon::Launcher;
use crate::pid_files;

/// Arguments of `server-stop`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stop only the server with this node.id.
    #[arg(long = "node-id", value_name = "NODE_ID")]
    node_id: Option<String>,
    /// Stop only the servers with these process.roles (e.g. broker,controller).
    #[arg(long = "process-role", value_name = "ROLES")]
    process_role: Option<String>,
}

pub fn run(args: Args, launcher: &Launcher) -> i32 {
    let servers = pid_files::running(&launcher.log_dir());
    if servers.is_empty() {
        println!("No kafka server to stop");
        return 1;
    }
    if args.node_id.is_some() && args.process_role.is_some() {
        println!("When both node-id and process-role are provided, the value for node-id will take precedence");
    }
    let mut code = 0;
    for server in servers.iter().filter(|s| chosen(&args, s)) {
        if let Err(e) = pid_files::terminate(server.pid) {
            eprintln!("cannot stop the server of process {}: {e}", server.pid);
            code = 1;
        }
    }
    code
}

/// Whether the filters pick `server`; the node id wins over the roles, as in Kafka's script.
fn chosen(args: &Args, server: &pid_files::Server) -> bool {
    match (&args.node_id, &args.process_role) {
        (Some(node), _) => server.node_id.as_deref() == Some(node.trim()),
        (None, Some(roles)) => server.process_roles.as_deref() == Some(roles.trim()),
        (None, None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_id_wins_over_roles() {
        let server = pid_files::Server {
            pid: 1,
            node_id: Some("2".to_string()),
            process_roles: Some("broker,controller".to_string()),
        };
        let args = |node: Option<&str>, roles: Option<&str>| Args {
            node_id: node.map(str::to_string),
            process_role: roles.map(str::to_string),
        };
        assert!(chosen(&args(None, None), &server));
        assert!(chosen(&args(Some("2"), Some("broker")), &server));
        assert!(!chosen(&args(Some("3"), None), &server));
        assert!(chosen(&args(None, Some("broker,controller")), &server));
        assert!(!chosen(&args(None, Some("broker")), &server));
    }
}
