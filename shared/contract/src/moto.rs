//! The moto emulator for integration tests: `AWS_ENDPOINT_URL` when the test command started it;
//! otherwise this process starts moto (`scripts/motoserver.py`, from the venv the test command
//! made: `$KEZEK_VENV` or the workspace's `.venv`) on a free port, and that server exits with the
//! test process.

use std::sync::OnceLock;

/// moto's URL: the shared server of the test command, or one of this process's own.
pub fn endpoint() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) => url,
        Err(_) => start(),
    })
}

/// A moto server of this process's own, started once: for tests that read moto's whole state
/// (`/moto-api/data.json`, e.g. the e-mails SES accepted), which on the shared server would hold
/// every other suite's tables too.
pub fn private_endpoint() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(start)
}

fn start() -> String {
    // The workspace root: up from the running test's manifest folder (the build may have been
    // made in another checkout), else from this crate's.
    let from = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../..").to_owned());
    let root = std::path::Path::new(&from)
        .ancestors()
        .find(|d| d.join("scripts/motoserver.py").exists())
        .map_or_else(|| from.clone(), |d| d.display().to_string());
    let venv = std::env::var("KEZEK_VENV").unwrap_or_else(|_| format!("{root}/.venv"));
    let python = format!("{venv}/bin/python");
    assert!(
        std::path::Path::new(&python).exists(),
        "no moto server: run ./scripts/test (it installs moto in a venv and starts it)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let script = format!(
        "\"{python}\" \"{root}/scripts/motoserver.py\" {port} >/dev/null 2>&1 & m=$!; \
         while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; kill $m",
        pid = std::process::id()
    );
    // Not waited on: the watcher outlives this call and ends the server when the test process
    // exits.
    #[allow(clippy::zombie_processes)]
    std::process::Command::new("bash")
        .args(["-c", &script])
        .spawn()
        .expect("start moto_server");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..150 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    url
}
