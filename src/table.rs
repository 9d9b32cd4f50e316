//! A text table that fits a terminal: columns as wide as their widest cell, measured in
//! terminal columns (display width, so CJK and emoji count double), and, when the table
//! is wider than the terminal, the columns that may go are left out while even the
//! narrowest table would not fit, then the shrinkable columns are cut with `…` until it
//! fits.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Spaces between two columns.
const GAP: usize = 2;
/// A shrinkable column keeps at least this many columns, so a cut cell still says something.
pub const MIN_SHRUNK: usize = 6;

/// `s` cut to at most `max` terminal columns, with `…` at the end when anything was cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// How a table may be made narrower.
#[derive(Debug, Clone, Copy)]
pub struct Fit<'a> {
    /// Columns that may be cut with `…`, the first cut first.
    pub shrink: &'a [usize],
    /// Columns that may be left out, the first left out first.
    pub drop: &'a [usize],
}

/// Lay out `header` and `rows` in at most `width` terminal columns (None: no limit). A
/// column whose header is empty is left out.
pub fn render(
    header: &[&str],
    rows: &[Vec<String>],
    width: Option<usize>,
    fit: Fit,
) -> Vec<String> {
    let mut keep: Vec<usize> = (0..header.len())
        .filter(|&i| !header[i].is_empty())
        .collect();
    let widest = |i: usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|c| c.width())
            .fold(header[i].width(), usize::max)
    };
    let floor = |i: usize| {
        if fit.shrink.contains(&i) {
            widest(i).min(MIN_SHRUNK.max(header[i].width()))
        } else {
            widest(i)
        }
    };
    if let Some(limit) = width {
        for &col in fit.drop {
            let narrowest: usize = keep.iter().map(|&i| floor(i) + GAP).sum::<usize>() - GAP;
            if narrowest <= limit {
                break;
            }
            keep.retain(|&i| i != col);
        }
    }
    let header: Vec<&str> = keep.iter().map(|&i| header[i]).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            keep.iter()
                .map(|&i| r.get(i).cloned().unwrap_or_default())
                .collect()
        })
        .collect();
    let shrink: Vec<usize> = fit
        .shrink
        .iter()
        .filter_map(|c| keep.iter().position(|k| k == c))
        .collect();
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.width());
        }
    }
    if let Some(limit) = width {
        for &col in &shrink {
            let total: usize = widths.iter().sum::<usize>() + GAP * (n - 1);
            if total <= limit {
                break;
            }
            let floor = MIN_SHRUNK.max(header[col].width());
            widths[col] = widths[col]
                .saturating_sub(total - limit)
                .max(floor.min(widths[col]));
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, c) in cells.enumerate() {
            let cell = clip(c, widths[i]);
            if i + 1 == n {
                s.push_str(&cell);
            } else {
                let pad = widths[i] - cell.width() + GAP;
                s.push_str(&cell);
                s.push_str(&" ".repeat(pad));
            }
        }
        // An empty last cell leaves no trailing spaces.
        s.truncate(s.trim_end().len());
        s
    };
    let mut out = vec![line(&mut header.iter().copied())];
    for r in &rows {
        out.push(line(&mut r.iter().map(String::as_str)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_by_display_width() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        // Each of these takes two columns: three of them and the ellipsis fit in 7.
        assert_eq!(clip("数据库复制延迟", 7), "数据库…");
        assert_eq!(clip("数据库复制延迟", 7).width(), 7);
    }

    #[test]
    fn a_wide_table_is_cut_to_the_width() {
        let rows = vec![vec![
            "k3f9".to_string(),
            "replication lag on the primary after the failover".to_string(),
            "exit 0".to_string(),
        ]];
        let fit = Fit {
            shrink: &[1],
            drop: &[],
        };
        let lines = render(&["ID", "REASON", "EXIT"], &rows, Some(30), fit);
        assert!(lines.iter().all(|l| l.width() <= 30), "{lines:#?}");
        assert!(lines[1].contains('…') && lines[1].ends_with("exit 0"));
        let wide = render(&["ID", "REASON", "EXIT"], &rows, None, fit);
        assert!(wide[1].contains("failover"));
        // Double-width text lines up with the header.
        let cjk = vec![vec![
            "a".into(),
            "数据库复制延迟数据库复制延迟".into(),
            "x".into(),
        ]];
        let lines = render(&["ID", "REASON", "EXIT"], &cjk, Some(20), fit);
        // The last column starts at the same terminal column in both lines.
        assert_eq!(
            lines[1].width() - "x".len(),
            lines[0].width() - "EXIT".len(),
            "{lines:#?}"
        );
        assert!(lines[1].width() <= 20);
        // Too narrow even with the reason cut: the ID goes, then the reason has room.
        let fit = Fit {
            shrink: &[1],
            drop: &[0],
        };
        let lines = render(&["ID", "REASON", "EXIT"], &rows, Some(14), fit);
        assert_eq!(lines[0], "REASON  EXIT");
        assert_eq!(lines[1], "repli…  exit 0");
    }
}
