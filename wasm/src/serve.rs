//! The static server behind `loopx serve`: the page, the wasm bundle and each package's files, over
//! plain HTTP/1.1 on std's `TcpListener` (one thread per connection, `Connection: close`).
//!
//! Every response carries the cross-origin isolation headers (COOP `same-origin`, COEP
//! `require-corp`) that a threaded wasm build needs for `SharedArrayBuffer`. Only named files are
//! served — the page's assets from an allow-list, the bundle (and the threaded one with its
//! worker snippets, when built; `/bundle.json` says whether it was) and, per package,
//! `model.json`, `pk.bin`, `vk.bin` and `srs.bin` — so nothing else in a package directory (proof
//! files and credentials hold private salts) or beside the page is reachable, and no request path
//! touches the file system as given.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use thiserror::Error;

/// The page's files, relative to the web directory.
pub const PAGE_ASSETS: &[&str] = &["index.html", "app.js", "loopx.js", "engine.js", "worker.js", "style.css"];

/// The wasm bundle wasm-bindgen writes (by `scripts/build-wasm.sh`), relative to the web directory.
pub const BUNDLE_FILES: &[&str] = &["pkg/loopx_wasm.js", "pkg/loopx_wasm_bg.wasm"];

/// The multi-threaded bundle (`scripts/build-wasm.sh --threads`), served when it was built: its
/// glue, its module, and the worker helpers wasm-bindgen copies under `snippets/`.
pub const THREADED_BUNDLE_DIR: &str = "pkg-threads";

/// The files of a package the page may fetch.
pub const PACKAGE_FILES: &[&str] = &["model.json", "pk.bin", "vk.bin", "srs.bin"];

/// Why the server cannot start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The web directory lacks the page or the wasm bundle.
    #[error("{0} is missing: build the browser bundle with scripts/build-wasm.sh (or point --web at a built web/ directory)")]
    MissingBundle(PathBuf),
    /// A package directory is unusable.
    #[error("{path} cannot be served: {reason}")]
    Package {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// One package as `/packages/index.json` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct ServedPackage {
    /// The directory's name, which is its URL segment.
    pub name: String,
    /// `/packages/<name>/`.
    pub url: String,
    /// Sizes in bytes of the files present, by name.
    pub files: BTreeMap<String, u64>,
    #[serde(skip)]
    dir: PathBuf,
}

/// What is served, resolved once at start.
#[derive(Debug)]
struct Site {
    web: PathBuf,
    packages: Vec<ServedPackage>,
}

/// A bound server; [`SiteServer::run`] answers requests until the process ends.
#[derive(Debug)]
pub struct SiteServer {
    listener: TcpListener,
    site: Arc<Site>,
}

impl SiteServer {
    /// Binds `addr` (port 0: any free port) to serve the page from `web` and the packages in
    /// `packages` (directories after `loopx setup`, with distinct names).
    pub fn bind(addr: &str, web: &Path, packages: &[PathBuf]) -> Result<Self, ServeError> {
        for file in PAGE_ASSETS.iter().take(1).chain(BUNDLE_FILES) {
            if !web.join(file).is_file() {
                return Err(ServeError::MissingBundle(web.join(file)));
            }
        }
        let mut served: Vec<ServedPackage> = Vec::new();
        for dir in packages {
            let refuse = |reason: String| ServeError::Package { path: dir.clone(), reason };
            let name = dir
                .canonicalize()
                .ok()
                .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                .ok_or_else(|| refuse("not a directory".into()))?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) || name.starts_with('.')
            {
                return Err(refuse(format!("its name `{name}` is not a plain URL segment")));
            }
            if served.iter().any(|p| p.name == name) {
                return Err(refuse(format!("another package is already served as `{name}`")));
            }
            let files = package_file_sizes(dir);
            for required in ["model.json", "pk.bin", "vk.bin", "srs.bin"] {
                if !files.contains_key(required) {
                    return Err(refuse(format!("it has no {required}; run `loopx setup` on it")));
                }
            }
            served.push(ServedPackage { url: format!("/packages/{name}/"), name, files, dir: dir.clone() });
        }
        let listener =
            TcpListener::bind(addr).map_err(|source| ServeError::Bind { addr: addr.to_string(), source })?;
        Ok(SiteServer { listener, site: Arc::new(Site { web: web.to_path_buf(), packages: served }) })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The packages served.
    pub fn packages(&self) -> &[ServedPackage] {
        &self.site.packages
    }

    /// Answers connections, each on its own thread, until the process ends.
    pub fn run(self) {
        for stream in self.listener.incoming().flatten() {
            let site = Arc::clone(&self.site);
            std::thread::spawn(move || {
                // A client that goes away mid-response is its own business.
                let _ = answer(&site, stream);
            });
        }
    }
}

fn package_file_sizes(dir: &Path) -> BTreeMap<String, u64> {
    PACKAGE_FILES
        .iter()
        .filter_map(|name| {
            let meta = std::fs::metadata(dir.join(name)).ok().filter(|m| m.is_file())?;
            Some((name.to_string(), meta.len()))
        })
        .collect()
}

/// A response before it is written.
struct Response {
    status: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn text(status: &'static str, message: &str) -> Self {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{message}\n").into_bytes(),
        }
    }
}

fn answer(site: &Site, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers (bounded): nothing in them changes the answer.
    let mut header_bytes = 0usize;
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line)?;
        header_bytes += read;
        if read == 0 || line == "\r\n" || line == "\n" || header_bytes > 64 * 1024 {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let response = match method {
        "GET" | "HEAD" => route(site, target.split(['?', '#']).next().unwrap_or("")),
        _ => Response::text("405 Method Not Allowed", "only GET and HEAD are served"),
    };
    write_response(stream, &response, method == "HEAD")
}

fn route(site: &Site, path: &str) -> Response {
    if path == "/" {
        return file_response(&site.web.join("index.html"));
    }
    if path == "/bundle.json" {
        // What engine.js picks its bundle by: the threaded one only when it was built.
        let threads = site.web.join(THREADED_BUNDLE_DIR).join("loopx_wasm_bg.wasm").is_file();
        let body = serde_json::to_vec(&serde_json::json!({ "threads": threads })).unwrap_or_default();
        return Response { status: "200 OK", content_type: "application/json", body };
    }
    if path == "/packages/index.json" {
        let body = serde_json::to_vec_pretty(&site.packages).unwrap_or_default();
        return Response { status: "200 OK", content_type: "application/json", body };
    }
    if let Some(rest) = path.strip_prefix("/packages/") {
        let (name, file) = rest.split_once('/').unwrap_or((rest, ""));
        return match site.packages.iter().find(|p| p.name == name) {
            Some(package) if PACKAGE_FILES.contains(&file) => file_response(&package.dir.join(file)),
            Some(_) => Response::text(
                "404 Not Found",
                "a package serves model.json, pk.bin, vk.bin and srs.bin only",
            ),
            None => Response::text("404 Not Found", &format!("no package `{name}` is served")),
        };
    }
    let relative = path.trim_start_matches('/');
    if PAGE_ASSETS.contains(&relative)
        || BUNDLE_FILES.contains(&relative)
        || is_threaded_bundle_file(relative)
    {
        return file_response(&site.web.join(relative));
    }
    Response::text("404 Not Found", "not found")
}

/// `pkg-threads/loopx_wasm.js`, `pkg-threads/loopx_wasm_bg.wasm`, or a `.js` snippet under
/// `pkg-threads/snippets/` whose every path segment is a plain name (no `..`, nothing hidden).
fn is_threaded_bundle_file(relative: &str) -> bool {
    let Some(rest) = relative.strip_prefix(THREADED_BUNDLE_DIR).and_then(|r| r.strip_prefix('/')) else {
        return false;
    };
    if rest == "loopx_wasm.js" || rest == "loopx_wasm_bg.wasm" {
        return true;
    }
    let plain = |segment: &str| {
        !segment.is_empty()
            && !segment.starts_with('.')
            && segment.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    rest.strip_prefix("snippets/")
        .is_some_and(|snippet| snippet.ends_with(".js") && snippet.split('/').all(plain))
}

fn file_response(path: &Path) -> Response {
    match std::fs::read(path) {
        Ok(body) => Response { status: "200 OK", content_type: content_type(path), body },
        Err(_) => Response::text("404 Not Found", "not found"),
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("wasm") => "application/wasm",
        _ => "application/octet-stream",
    }
}

fn write_response(mut stream: TcpStream, response: &Response, head_only: bool) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n\
         Cross-Origin-Resource-Policy: same-origin\r\nX-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        response.status,
        response.content_type,
        response.body.len()
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(&response.body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(addr).expect("connects");
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("request");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("response");
        text
    }

    #[test]
    fn serves_only_the_page_the_bundle_and_package_files_with_isolation_headers() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let web = tmp.path().join("web");
        std::fs::create_dir_all(web.join("pkg")).expect("dirs");
        for file in PAGE_ASSETS.iter().chain(BUNDLE_FILES).chain(&["secret.txt"]) {
            std::fs::write(web.join(file), file.as_bytes()).expect("asset");
        }
        let pkg = tmp.path().join("risk_mlp");
        std::fs::create_dir_all(&pkg).expect("package dir");
        for file in PACKAGE_FILES.iter().chain(&["proof.json", "credential.json"]) {
            std::fs::write(pkg.join(file), file.as_bytes()).expect("package file");
        }
        let server = SiteServer::bind("127.0.0.1:0", &web, std::slice::from_ref(&pkg)).expect("binds");
        let addr = server.local_addr().expect("addr");
        std::thread::spawn(move || server.run());

        let index = get(addr, "/");
        assert!(index.starts_with("HTTP/1.1 200 OK"), "{index}");
        assert!(index.contains("Cross-Origin-Opener-Policy: same-origin"), "{index}");
        assert!(index.contains("Cross-Origin-Embedder-Policy: require-corp"), "{index}");
        let wasm = get(addr, "/pkg/loopx_wasm_bg.wasm");
        assert!(wasm.contains("Content-Type: application/wasm"), "{wasm}");
        assert!(get(addr, "/packages/risk_mlp/pk.bin").ends_with("pk.bin"));
        let bundles = get(addr, "/bundle.json");
        assert!(bundles.ends_with("{\"threads\":false}"), "no threaded bundle was built: {bundles}");
        let listing = get(addr, "/packages/index.json");
        assert!(listing.contains("\"url\": \"/packages/risk_mlp/\""), "{listing}");
        for refused in [
            "/packages/risk_mlp/proof.json",
            "/packages/risk_mlp/credential.json",
            "/secret.txt",
            "/../Cargo.toml",
            "/packages/other/pk.bin",
            "/packages/risk_mlp/../risk_mlp/pk.bin",
        ] {
            assert!(get(addr, refused).starts_with("HTTP/1.1 404"), "{refused} was served");
        }
    }

    #[test]
    fn serves_the_threaded_bundle_and_its_worker_snippets_only() {
        for served in [
            "pkg-threads/loopx_wasm.js",
            "pkg-threads/loopx_wasm_bg.wasm",
            "pkg-threads/snippets/wasm-bindgen-rayon-38edf6e439f6d70d/src/workerHelpers.no-bundler.js",
        ] {
            assert!(is_threaded_bundle_file(served), "{served}");
        }
        for refused in [
            "pkg-threads/.built-from",
            "pkg-threads/snippets/../../Cargo.toml",
            "pkg-threads/snippets/x/.hidden.js",
            "pkg-threads/snippets/x/notes.txt",
            "pkg-threads-other/loopx_wasm.js",
            "pkg-threads/snippets//x.js",
        ] {
            assert!(!is_threaded_bundle_file(refused), "{refused}");
        }
    }

    #[test]
    fn refuses_a_package_that_is_not_set_up_and_a_missing_bundle() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let web = tmp.path().join("web");
        std::fs::create_dir_all(&web).expect("dir");
        let err = SiteServer::bind("127.0.0.1:0", &web, &[]).expect_err("no bundle");
        assert!(err.to_string().contains("scripts/build-wasm.sh"), "{err}");
        std::fs::create_dir_all(web.join("pkg")).expect("dirs");
        for file in PAGE_ASSETS.iter().chain(BUNDLE_FILES) {
            std::fs::write(web.join(file), b"x").expect("asset");
        }
        let pkg = tmp.path().join("half");
        std::fs::create_dir_all(&pkg).expect("dir");
        std::fs::write(pkg.join("model.json"), b"{}").expect("model");
        let err = SiteServer::bind("127.0.0.1:0", &web, &[pkg]).expect_err("not set up");
        assert!(err.to_string().contains("loopx setup"), "{err}");
    }
}
