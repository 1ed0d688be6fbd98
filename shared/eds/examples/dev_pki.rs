//! Local EDS login helper.
//!
//! `cargo run -p kezek-eds --features testing --example dev_pki -- <out_dir> <iin> [<content-file>]`
//!
//! Creates (or reuses) a dev root CA in `<out_dir>` (`root.pem`, `root.key`; pass
//! `--nca-roots <out_dir>` to the local runner) and, given a content file (e.g. the login nonce),
//! prints the base64 attached CMS signature of it by a leaf certificate for `<iin>`
//! (`-` reads stdin; mind trailing newlines: `printf %s "$NONCE" | … -`).

use std::path::PathBuf;
use std::process::ExitCode;

use kezek_eds::testing::{TestCa, TestSubject};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out_dir), Some(iin)) = (args.first(), args.get(1)) else {
        eprintln!("usage: dev_pki <out_dir> <iin> [<content-file>]");
        return ExitCode::from(2);
    };
    match run(PathBuf::from(out_dir), iin, args.get(2)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dev_pki: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(out_dir: PathBuf, iin: &str, content_file: Option<&String>) -> Result<(), String> {
    if iin.len() != 12 || !iin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("IIN must be 12 digits, got {iin:?}"));
    }
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    // `root.key` (not *.pem) so that `Roots::from_dir(out_dir)` loads only the certificate.
    let (cert_path, key_path) = (out_dir.join("root.pem"), out_dir.join("root.key"));
    let ca = match (
        std::fs::read_to_string(&cert_path),
        std::fs::read_to_string(&key_path),
    ) {
        (Ok(cert), Ok(key)) => TestCa::from_pem(&cert, &key)?,
        _ => {
            let ca = TestCa::root("Kezek Dev NCA");
            std::fs::write(&cert_path, ca.certificate_pem()).map_err(|e| e.to_string())?;
            std::fs::write(&key_path, ca.key_pem()).map_err(|e| e.to_string())?;
            eprintln!(
                "dev_pki: wrote {} (use --nca-roots {})",
                cert_path.display(),
                out_dir.display()
            );
            ca
        }
    };
    if let Some(file) = content_file {
        let content = if file == "-" {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                .map_err(|e| e.to_string())?;
            buf
        } else {
            std::fs::read(file).map_err(|e| format!("{file}: {e}"))?
        };
        let signer = ca.issue(&TestSubject::person(iin, "DEV USER"));
        println!("{}", signer.sign_base64(&content, true));
    }
    Ok(())
}
