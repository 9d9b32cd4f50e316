//! For `ls` on a bastion that ships: how much of each local session the store holds.

use std::collections::HashMap;

use anyhow::Result;
use serde_json::json;

use super::Target;
use super::layout;
use crate::store::Store;

/// What the store holds of each session of `bastion`: id → bytes from offset 0.
pub fn shipped(bucket: &super::client::Bucket, bastion: &str) -> Result<HashMap<String, u64>> {
    let root = layout::sessions_root(&bucket.url.prefix, bastion);
    let mut by_id: HashMap<String, Vec<layout::Version>> = HashMap::new();
    for v in bucket.versions(&root)? {
        if let Some((id, _)) = v.key.strip_prefix(&root).and_then(|r| r.split_once('/')) {
            by_id.entry(id.to_string()).or_default().push(v);
        }
    }
    Ok(by_id
        .into_iter()
        .map(|(id, vs)| {
            let dir = layout::session_dir(&bucket.url.prefix, bastion, &id);
            (id, layout::plan(&dir, &vs).contiguous)
        })
        .collect())
}

/// `12.3 MiB`-style sizes.
pub fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// One table row: id, local size, shipped size, share, and a note when the store holds
/// more than the file.
pub fn row(id: &str, local: u64, shipped: u64) -> Vec<String> {
    let pct = (shipped.min(local) * 100).checked_div(local).unwrap_or(100);
    let more = if shipped > local {
        "the store holds more than this file"
    } else {
        ""
    };
    vec![
        id.to_string(),
        human(local),
        human(shipped),
        format!("{pct}%"),
        more.to_string(),
    ]
}

/// The shipping table's columns; NOTE is left out when no row has one.
const HEADER: [&str; 5] = ["ID", "LOCAL", "IN STORE", "SHARE", "NOTE"];
/// Where the note is, and how the table fits a narrow terminal: the note is cut first.
const NOTE: usize = 4;
const FIT: crate::table::Fit = crate::table::Fit {
    shrink: &[NOTE, 0],
    drop: &[NOTE],
};

/// Print the shipping state of every local session under the `ls` table.
pub fn print(target: &Target, store: &Store, as_json: bool) -> Result<()> {
    let bucket = target.open()?;
    let shipped = shipped(&bucket, &target.bastion)?;
    let files = store.sessions()?;
    let mut rows = Vec::new();
    for sf in &files {
        let local = std::fs::metadata(&sf.path).map_or(0, |m| m.len());
        let got = shipped.get(&sf.id).copied().unwrap_or(0);
        if as_json {
            println!(
                "{}",
                json!({"shipped": sf.id, "store": target.shown(), "bastion": target.bastion, "local_bytes": local, "shipped_bytes": got})
            );
        } else {
            rows.push(row(&crate::safe::text(&sf.id), local, got));
        }
    }
    if !as_json {
        println!(
            "\nSHIPPED TO {} AS {}",
            target.shown(),
            crate::safe::text(&target.bastion),
        );
        let mut header = HEADER;
        if rows.iter().all(|r| r[NOTE].is_empty()) {
            header[NOTE] = "";
        }
        let width = crate::term::window_size(1).map(|(c, _)| c as usize);
        for line in crate::table::render(&header, &rows, width, FIT) {
            println!("{line}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_show_share() {
        assert_eq!(row("abc", 1000, 500)[3], "50%");
        assert_eq!(row("abc", 0, 0)[3], "100%");
        assert!(row("abc", 10, 20)[NOTE].contains("holds more"));
        assert!(row("abc", 10, 10)[NOTE].is_empty());
        assert_eq!(human(512), "512 B");
        assert_eq!(human(3 * 1024 * 1024), "3.0 MiB");
    }
}
