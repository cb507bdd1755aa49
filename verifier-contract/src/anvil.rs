//! A local anvil node for tests (this crate's and other crates'): the pinned npm
//! `@foundry-rs/anvil`, bound to 127.0.0.1 on a free port, stopped with its children on drop.

use crate::{tools, VerifierError};
use rustix::process::{kill_process_group, Pid, Signal};
use std::{
    io::{Read, Write},
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    os::unix::process::CommandExt,
    path::Path,
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

/// How long to wait for a fresh node to answer `eth_chainId`.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Private keys of anvil's default funded accounts (derived from the public test mnemonic
/// `test test … junk`; every copy of anvil has them, so they protect nothing).
pub const ANVIL_DEV_PRIVATE_KEYS: [&str; 4] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

/// A running anvil node. Dropping it kills the npm wrapper and the anvil binary it spawned
/// (the whole process group).
#[derive(Debug)]
pub struct AnvilNode {
    child: Child,
    port: u16,
    url: String,
    _log: tempfile::NamedTempFile,
}

impl AnvilNode {
    /// Installs the pinned tools if needed, starts anvil on `127.0.0.1:<free port>` and waits
    /// until it answers JSON-RPC.
    pub fn start() -> Result<Self, VerifierError> {
        let dir = tools::ensure_tools()?;
        let program = tools::npm_bin(&dir, "anvil");
        // Another process may take the port between our probe and anvil's bind; try again then.
        let mut last_error = None;
        for _ in 0..3 {
            match Self::start_once(&program) {
                Ok(node) => return Ok(node),
                Err(err) => last_error = Some(err),
            }
        }
        Err(last_error.unwrap_or_else(|| VerifierError::Anvil("did not start".into())))
    }

    /// The node's HTTP JSON-RPC URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The node's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Private key of one of anvil's default funded accounts (index 0 or 1).
    pub fn dev_private_key(&self, index: usize) -> &'static str {
        ANVIL_DEV_PRIVATE_KEYS[index % ANVIL_DEV_PRIVATE_KEYS.len()]
    }

    fn start_once(program: &Path) -> Result<Self, VerifierError> {
        let port = free_port()?;
        let log = tempfile::NamedTempFile::new()
            .map_err(|err| VerifierError::io("creating anvil's log file", err))?;
        let stdout = log.reopen().map_err(|err| VerifierError::io("opening anvil's log file", err))?;
        let stderr = log.reopen().map_err(|err| VerifierError::io("opening anvil's log file", err))?;
        let child = Command::new(program)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--chain-id", "31337"])
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            // Own process group, so that Drop can signal the wrapper and the binary together.
            .process_group(0)
            .spawn()
            .map_err(|err| VerifierError::io(format!("starting {}", program.display()), err))?;
        let mut node = Self { child, port, url: format!("http://127.0.0.1:{port}"), _log: log };
        node.wait_until_ready()?;
        Ok(node)
    }

    fn wait_until_ready(&mut self) -> Result<(), VerifierError> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(VerifierError::Anvil(format!(
                    "exited during startup ({status}): {}",
                    self.log_tail()
                )));
            }
            if answers_json_rpc(self.port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(VerifierError::Anvil(format!(
                    "no answer on port {} within {} s: {}",
                    self.port,
                    STARTUP_TIMEOUT.as_secs(),
                    self.log_tail()
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self._log.path()).unwrap_or_default();
        let start = text.len().saturating_sub(2000);
        text.get(start..).unwrap_or(&text).trim().to_string()
    }
}

impl Drop for AnvilNode {
    fn drop(&mut self) {
        // The wrapper (group leader) is not reaped yet, so the group id cannot have been
        // reused; SIGKILL reaches the node wrapper and the anvil binary it spawned.
        if let Some(group) = i32::try_from(self.child.id()).ok().and_then(Pid::from_raw) {
            let _ = kill_process_group(group, Signal::KILL);
        }
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, VerifierError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|err| VerifierError::io("finding a free port on 127.0.0.1", err))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|err| VerifierError::io("reading the bound port", err))
}

/// True when something on 127.0.0.1:`port` answers an `eth_chainId` request.
fn answers_json_rpc(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200") && response.contains("\"result\"")
}
