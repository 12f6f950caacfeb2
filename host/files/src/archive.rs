//! Zipping files of a mount into a writer, streamed: file contents are copied in
//! chunks, never held whole in memory, so a large folder of attachments can be
//! archived without a memory spike.

use std::collections::HashSet;
use std::io::{self, Seek, Write};

use chrono::{Datelike, Timelike};
use pont_policy::Permit;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::error::{FilesError, Result};
use crate::mount::Mount;
use crate::path::{RESERVED_PREFIX, RobotPath};
use crate::permit;

/// Directories nested deeper than this are refused rather than walked, as a guard
/// against symlink loops that stay inside the mount.
const MAX_DEPTH: u32 = 64;

impl Mount {
    /// Zip the paths of the read `permits` (files, or directories recursively)
    /// into `out` and return the finished writer: one permit per path zipped,
    /// all checked before anything is read. Entry names are the mount-relative
    /// paths; a path given twice (or inside a directory also given) is stored
    /// once. Host files are skipped.
    pub fn zip<W: Write + Seek>(&self, permits: &[Permit], out: W) -> Result<W> {
        let paths = permits
            .iter()
            .map(|p| permit::read(self, p))
            .collect::<Result<Vec<_>>>()?;
        let mut zip = ZipWriter::new(out);
        let mut seen = HashSet::new();
        for raw in paths {
            let p = self.parse(raw, true)?;
            self.add_path(&mut zip, &mut seen, &p, raw, 0)?;
        }
        zip.finish()
            .map_err(|e| FilesError::from_io(self.name(), "", "finish zip", zip_io(e)))
    }

    fn add_path<W: Write + Seek>(
        &self,
        zip: &mut ZipWriter<W>,
        seen: &mut HashSet<String>,
        p: &RobotPath,
        raw: &str,
        depth: u32,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(FilesError::invalid(
                self.name(),
                raw,
                "directories nested too deep to zip",
            ));
        }
        let meta = self.metadata_of(p, raw)?;
        let name = p.display();
        let mut options =
            SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        if let Some(t) = meta.modified().ok().and_then(|t| zip_time(t.into_std())) {
            options = options.last_modified_time(t);
        }
        let zip_err =
            |e: zip::result::ZipError| FilesError::from_io(self.name(), raw, "zip", zip_io(e));
        if meta.is_dir() {
            if !name.is_empty() && seen.insert(format!("{name}/")) {
                zip.add_directory(name.clone(), options).map_err(zip_err)?;
            }
            let dir = self.dir_of(p, raw)?;
            let mut children = Vec::new();
            for item in dir
                .entries()
                .map_err(|e| FilesError::from_io(self.name(), raw, "list", e))?
            {
                let item = item.map_err(|e| FilesError::from_io(self.name(), raw, "list", e))?;
                if let Some(child) = item.file_name().to_str()
                    && !child.starts_with(RESERVED_PREFIX)
                {
                    children.push(child.to_string());
                }
            }
            children.sort();
            for child in children {
                let cp = p.join(&child);
                let craw = cp.display();
                self.add_path(zip, seen, &cp, &craw, depth + 1)?;
            }
            return Ok(());
        }
        if !seen.insert(name.clone()) {
            return Ok(());
        }
        let mut file = self.open_file(p, raw)?;
        zip.start_file(name, options.large_file(meta.len() >= u64::from(u32::MAX)))
            .map_err(zip_err)?;
        io::copy(&mut file, zip).map_err(|e| FilesError::from_io(self.name(), raw, "zip", e))?;
        Ok(())
    }
}

fn zip_io(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

/// A file's modification time in the zip's MS-DOS form (UTC, 1980..=2107).
fn zip_time(t: std::time::SystemTime) -> Option<zip::DateTime> {
    let t = chrono::DateTime::<chrono::Utc>::from(t);
    zip::DateTime::from_date_and_time(
        u16::try_from(t.year()).ok()?,
        u8::try_from(t.month()).ok()?,
        u8::try_from(t.day()).ok()?,
        u8::try_from(t.hour()).ok()?,
        u8::try_from(t.minute()).ok()?,
        u8::try_from(t.second()).ok()?,
    )
    .ok()
}
