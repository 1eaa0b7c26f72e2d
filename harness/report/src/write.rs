//! Writing every rendering to a directory, each file atomically: a file
//! is written under a temporary name in the same directory, flushed to
//! disk, then renamed over the real name (a rename within one file system
//! replaces the target in one step). A run interrupted mid-write leaves the
//! previous file or the new one, never half of either.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::Path;

use crate::html::to_html;
use crate::json::to_json;
use crate::junit::to_junit;
use crate::markdown::to_markdown;
use crate::pcap::{pcap_file_name, write_pcap};
use crate::result::RunReport;

/// Writes `report.json`, `junit.xml`, `summary.md`, `report.html` and
/// `pcap/<id>-<version>.pcap` under `dir`, creating it if needed.
/// `report.json` is written last, so when it is there and new, everything
/// derived from it is too. Files of earlier runs that this run does not
/// produce (pcaps of scenarios no longer run) are left alone.
pub fn write_all(report: &RunReport, dir: &Path) -> io::Result<()> {
    let pcap_dir = dir.join("pcap");
    fs::create_dir_all(&pcap_dir)?;
    for result in &report.results {
        write_atomic(&pcap_dir.join(pcap_file_name(result)), &write_pcap(result))?;
    }
    write_atomic(&dir.join("junit.xml"), to_junit(report).as_bytes())?;
    write_atomic(&dir.join("summary.md"), to_markdown(report).as_bytes())?;
    write_atomic(&dir.join("report.html"), to_html(report).as_bytes())?;
    write_atomic(&dir.join("report.json"), to_json(report).as_bytes())?;
    sync_dir(dir)?;
    sync_dir(&pcap_dir)
}

/// Replaces `path` with `contents` atomically (see the module docs). The
/// temporary name carries the process id so two runs writing the same
/// directory do not clobber each other's temporary files.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = dir.join(temp_name);
    let written = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(contents)?;
        // Without this the rename can reach the disk before the data does,
        // and a crash leaves an empty file under the real name.
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Makes the renames themselves durable. Only Unix can open a directory to
/// sync it; elsewhere the rename is as durable as the platform makes it.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
