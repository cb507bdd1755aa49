//! `loopx serve`: the browser prover page, the wasm bundle and packages over HTTP.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use loopx_wasm::serve::SiteServer;
use serde_json::json;

use crate::report::Reporter;

/// Environment variable naming the built web directory (default: this source tree's `web/`).
const WEB_DIR_ENV: &str = "LOOPX_WEB_DIR";

/// Arguments of `loopx serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Package directories (after `loopx setup`); each is served under `/packages/<dir name>/`.
    #[arg(required = true)]
    pub packages: Vec<PathBuf>,
    /// Port (0: any free port; the URL is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The built web directory (page + `pkg/` from scripts/build-wasm.sh).
    #[arg(long, env = WEB_DIR_ENV)]
    pub web: Option<PathBuf>,
}

/// Runs `loopx serve` until the process is stopped. Prints the URL first (one JSON line with
/// `--json`), so a script can start it on port 0 and read where it went.
pub fn run(args: ServeArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let web = args.web.unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../web")));
    let server = SiteServer::bind(&format!("{}:{}", args.host, args.port), &web, &args.packages)?;
    let addr = server.local_addr().context("reading the bound address")?;
    let url = format!("http://{addr}/");
    let packages: Vec<_> =
        server.packages().iter().map(|p| json!({ "name": p.name, "url": p.url })).collect();
    out.finish(&json!({ "url": url, "packages": packages }), || {
        let mut lines = vec![format!("serving the LoopX prover page at {url}")];
        lines.extend(
            server.packages().iter().map(|p| format!("  package {} at {url}{}", p.name, &p.url[1..])),
        );
        lines.push("stop with Ctrl-C".into());
        lines
    })?;
    std::io::stdout().flush().context("writing the URL")?;
    server.run();
    Ok(ExitCode::SUCCESS)
}
