//! `breakglass export SESSION --format FORMAT [-o FILE]`: a session as asciicast, a text
//! transcript, the keys typed, a Markdown timeline, or decoded JSON records.
//!
//! Export is evidence handling, so it is never silent about the log it reads: the session
//! is verified first, and anything but VERIFIED is said on stderr (a TAMPERED or
//! UNVERIFIABLE log is still exported, as far as its records can be read). A file given
//! with `-o` is written under a temporary name and put in place only when complete, so it
//! never holds half an export; an existing file is refused unless `--force`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{ExportArgs, ExportFormat};
use crate::error::Failure;
use crate::log::read::Records;
use crate::log::record::{Body, Genesis};
use crate::log::verify::Verdict;
use crate::review::asciicast::{self, Cast};
use crate::review::keys::{KeyLine, Keys};
use crate::review::text::TextRender;
use crate::review::timeline::{Seal, Timeline};
use crate::review::{json, visible, who};
use crate::store::{SessionFile, Store};
use crate::time::offset_ms;
use crate::verdict::Judge;

/// Exported files hold what the session showed, secrets printed included: owner-only,
/// like the session files themselves.
const EXPORT_MODE: u32 = 0o600;

/// Terminal size for a log without a readable genesis (asciicast needs one).
const FALLBACK_SIZE: (u16, u16) = (80, 24);

pub fn run(args: &ExportArgs, store: &Store) -> Result<i32> {
    let sf = store.resolve(&args.session)?;
    if let Some(path) = &args.output
        && !args.force
        && fs::symlink_metadata(path).is_ok()
    {
        return Err(Failure::usage(format!(
            "{} exists; pass --force to replace it",
            path.display()
        ))
        .into());
    }
    let seal = seal(store, &sf)?;
    let replaced = match &args.output {
        Some(path) => to_file(path, args.force, |w| export(args.format, &sf, &seal, w))?,
        None => {
            let mut w = BufWriter::new(io::stdout().lock());
            match export(args.format, &sf, &seal, &mut w).and_then(|n| w.flush().map(|_| n)) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
                r => r.with_context(|| format!("cannot export {}", sf.id))?,
            }
        }
    };
    if replaced > 0 {
        let bytes = if replaced == 1 { "byte" } else { "bytes" };
        eprintln!(
            "breakglass: warning: replaced {replaced} {bytes} of output that is not UTF-8 by U+FFFD in the asciicast (`--format json` keeps every byte)"
        );
    }
    Ok(0)
}

/// Verify the session (against the ledger when it lives in this data dir) and say on
/// stderr anything short of VERIFIED.
pub fn seal(store: &Store, sf: &SessionFile) -> Result<Seal> {
    let judge = Judge::load(store).unwrap_or_else(|e| {
        eprintln!(
            "breakglass: warning: cannot read the ledger {}: {e}; checking the session's own chain only",
            store.ledger_path().display()
        );
        Judge::without_ledger()
    });
    let j = judge
        .judge(sf)
        .with_context(|| format!("cannot read {}", sf.path.display()))?;
    if let Some(w) = j.warning() {
        match j.verdict() {
            Verdict::Tampered | Verdict::Unverifiable => eprintln!(
                "{w}\n  exported anyway, as far as its records can be read; nothing in it is proven"
            ),
            _ => eprintln!("{w}"),
        }
    }
    Ok(Seal {
        verdict: j.label().to_string(),
        head: j.head(),
        detail: Some(j.detail()),
    })
}

/// Write one format; returns how many bytes were replaced (asciicast only).
fn export(
    format: ExportFormat,
    sf: &SessionFile,
    seal: &Seal,
    w: &mut dyn Write,
) -> io::Result<u64> {
    let mut records = Records::open(&sf.path)?.peekable();
    let genesis = match records.peek() {
        Some(Ok((_, r))) => match &r.body {
            Body::Genesis(g) => Some((**g).clone()),
            _ => None,
        },
        _ => None,
    }
    .or_else(|| sf.genesis.clone());
    let g = genesis.unwrap_or_else(|| Genesis {
        cols: FALLBACK_SIZE.0,
        rows: FALLBACK_SIZE.1,
        ..Default::default()
    });
    match format {
        ExportFormat::Asciicast => {
            writeln!(w, "{}", asciicast::header(&g))?;
            let mut cast = Cast::new();
            for r in records {
                if let Some(ev) = cast.event(&r?.1) {
                    writeln!(w, "{ev}")?;
                }
            }
            for ev in cast.ending() {
                writeln!(w, "{ev}")?;
            }
            return Ok(cast.replaced);
        }
        ExportFormat::Text => {
            let mut text = TextRender::new(g.cols, g.rows);
            for r in records {
                let lines = match r?.1.body {
                    Body::Output(d) => text.output(d.bytes().unwrap_or_default()),
                    Body::Resize { cols, rows } => text.resize(cols, rows),
                    _ => continue,
                };
                write_lines(w, &lines)?;
            }
            write_lines(w, &text.finish())?;
        }
        ExportFormat::Keys => {
            let mut keys = Keys::new();
            for r in records {
                let rec = r?.1;
                if let Body::Input { by, data } = &rec.body {
                    for line in keys.input(rec.t, by, data) {
                        key_line(w, &line, &g.user)?;
                    }
                }
            }
            for line in keys.finish() {
                key_line(w, &line, &g.user)?;
            }
        }
        ExportFormat::Timeline => {
            let mut tl = Timeline::new();
            for r in records {
                tl.record(&r?.1);
            }
            w.write_all(tl.render(&sf.id, seal).as_bytes())?;
        }
        ExportFormat::Json => {
            for r in records {
                writeln!(w, "{}", json::record_line(&r?.1))?;
            }
        }
    }
    Ok(0)
}

fn write_lines(w: &mut dyn Write, lines: &[String]) -> io::Result<()> {
    for l in lines {
        writeln!(w, "{}", visible(l))?;
    }
    Ok(())
}

/// `+00:12.345  alice  ls -la`
fn key_line(w: &mut dyn Write, line: &KeyLine, user: &str) -> io::Result<()> {
    writeln!(
        w,
        "{}  {}  {}",
        offset_ms(line.t),
        visible(who(&line.by, user)),
        line.shown()
    )
}

/// Write through `f` into a temporary file next to `path`, then put it in place: by a
/// hard link, which refuses an existing file even if one appeared meanwhile, or, with
/// `force`, by a rename over it.
fn to_file(
    path: &Path,
    force: bool,
    f: impl FnOnce(&mut dyn Write) -> io::Result<u64>,
) -> Result<u64> {
    let tmp = temp_path(path);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(EXPORT_MODE)
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    let written = (|| {
        let mut w = BufWriter::new(file);
        let n = f(&mut w)?;
        let file: File = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        place(&tmp, path, force)?;
        Ok::<_, io::Error>(n)
    })();
    let _ = fs::remove_file(&tmp);
    match written {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Failure::usage(format!(
            "{} exists; pass --force to replace it",
            path.display()
        ))
        .into()),
        r => r.with_context(|| format!("cannot write {}", path.display())),
    }
}

fn place(tmp: &Path, path: &Path, force: bool) -> io::Result<()> {
    if force {
        return fs::rename(tmp, path);
    }
    match fs::hard_link(tmp, path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists && !path.exists() => {
            // A file system without hard links: a plain rename, checked just before.
            fs::rename(tmp, path)
        }
        r => r,
    }
}

/// `.NAME.PID.partial` in the same dir, so the final rename stays on one file system.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_put_in_place_whole_and_not_over_another() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("out.txt");
        let n = to_file(&p, false, |w| w.write_all(b"one\n").map(|_| 3)).unwrap();
        assert_eq!((n, fs::read_to_string(&p).unwrap().as_str()), (3, "one\n"));
        let e = to_file(&p, false, |w| w.write_all(b"two\n").map(|_| 0)).unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        to_file(&p, true, |w| w.write_all(b"two\n").map(|_| 0)).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two\n");
        // A failed export leaves nothing behind.
        let q = t.path().join("failed.txt");
        to_file(&q, false, |_| Err(io::Error::other("boom"))).unwrap_err();
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1);
    }
}
