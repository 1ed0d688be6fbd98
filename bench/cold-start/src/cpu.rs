//! Lambda's CPU share, on this machine: Lambda gives a function CPU in proportion to its memory
//! (one vCPU at 1,769 MB, so 14.5% of a core at 256 MB), while the AWS services it calls run on
//! their own machines. A cold request measured at a full core makes the CPU-bound part of a cold
//! start (AWS-LC's jitter entropy, the TLS handshake, the provider chain) look small beside the
//! time moto takes to answer; at the function's share it weighs what it weighs on Lambda.
//!
//! `--lambda-cpu` puts each process, from before its `exec`, in a cgroup of the `cpu`
//! controller whose quota is its memory's share of one core per period (cgroup v1's
//! `cpu.cfs_quota_us` / `cpu.cfs_period_us`, or v2's `cpu.max`). moto and the harness stay
//! outside it, at full speed, as AWS's side would be. The memory of each function is its
//! `MemorySize` in `infra/template.yaml` (the `Globals` one where it has none).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One vCPU's memory, in MB (AWS Lambda's documentation: "at 1,769 MB, a function has the
/// equivalent of one vCPU").
pub const VCPU_MB: u32 = 1769;

/// A cgroup whose processes get `memory_mb / 1769` of one core.
pub struct Share {
    dir: PathBuf,
    procs: File,
}

impl Share {
    /// Makes (or reuses) `kezek-cold-start-<memory>` under the machine's `cpu` controller and
    /// sets its quota. `Err` says why it cannot be made here (no writable cgroup `cpu`
    /// controller: not root, or a container without it).
    pub fn new(memory_mb: u32, period_us: u64) -> Result<Share, String> {
        let quota = (period_us * u64::from(memory_mb) / u64::from(VCPU_MB)).max(1000);
        let name = format!("kezek-cold-start-{memory_mb}");
        let v1 = Path::new("/sys/fs/cgroup/cpu");
        let v2 = Path::new("/sys/fs/cgroup");
        let (dir, files) = if v1.join("cpu.cfs_quota_us").exists() {
            let dir = v1.join(&name);
            (
                dir.clone(),
                vec![
                    (dir.join("cpu.cfs_period_us"), period_us.to_string()),
                    (dir.join("cpu.cfs_quota_us"), quota.to_string()),
                ],
            )
        } else if std::fs::read_to_string(v2.join("cgroup.controllers"))
            .is_ok_and(|c| c.split_whitespace().any(|c| c == "cpu"))
        {
            // The root's children get the `cpu` controller only when it is enabled for them.
            let _ = std::fs::write(v2.join("cgroup.subtree_control"), "+cpu");
            let dir = v2.join(&name);
            (
                dir.clone(),
                vec![(dir.join("cpu.max"), format!("{quota} {period_us}"))],
            )
        } else {
            return Err("no cgroup cpu controller at /sys/fs/cgroup".into());
        };
        if !dir.exists() {
            std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        for (file, value) in files {
            std::fs::write(&file, &value).map_err(|e| format!("{}: {e}", file.display()))?;
        }
        let procs = OpenOptions::new()
            .write(true)
            .open(dir.join("cgroup.procs"))
            .map_err(|e| format!("{}: {e}", dir.join("cgroup.procs").display()))?;
        Ok(Share { dir, procs })
    }

    /// Makes `command`'s process join this cgroup between its fork and its `exec`, so that all
    /// of its start runs at the share.
    pub fn apply(&self, command: &mut Command) {
        let fd = self.procs.as_raw_fd();
        // SAFETY: between fork and exec only async-signal-safe calls are made: `getpid` and
        // one `write` of a number formatted on the stack (no allocation, no lock).
        unsafe {
            command.pre_exec(move || {
                let mut pid = libc::getpid() as u64;
                let mut digits = [0u8; 20];
                let mut at = digits.len();
                loop {
                    at -= 1;
                    digits[at] = b'0' + (pid % 10) as u8;
                    pid /= 10;
                    if pid == 0 {
                        break;
                    }
                }
                let text = &digits[at..];
                if libc::write(fd, text.as_ptr().cast(), text.len()) != text.len() as isize {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        // Empty by now (every process it held was killed and waited for).
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Each function's `MemorySize` in the SAM template, by its folder under `functions/`; the
/// `Globals` value for those without their own. Read line by line: a resource's `CodeUri:
/// ../functions/<name>` and the `MemorySize:` after it, before the next resource.
pub fn template_memory(template: &Path) -> Result<(u32, BTreeMap<String, u32>), String> {
    let text =
        std::fs::read_to_string(template).map_err(|e| format!("{}: {e}", template.display()))?;
    let mut global = None;
    let mut by_function = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut in_globals = false;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 0 && !trimmed.is_empty() {
            in_globals = trimmed == "Globals:";
        }
        if indent == 2 && trimmed.ends_with(':') {
            current = None; // a new resource (or a new Globals section)
        }
        if let Some(uri) = trimmed.strip_prefix("CodeUri:") {
            current = uri
                .trim()
                .strip_prefix("../functions/")
                .map(|n| n.trim_end_matches('/').to_owned());
        }
        if let Some(mb) = trimmed.strip_prefix("MemorySize:") {
            let mb: u32 = mb
                .trim()
                .parse()
                .map_err(|_| format!("MemorySize {mb:?} is not a number"))?;
            if in_globals {
                global = Some(mb);
            } else if let Some(name) = &current {
                by_function.insert(name.clone(), mb);
            }
        }
    }
    let global = global.ok_or("no Globals MemorySize in the template")?;
    Ok((global, by_function))
}
