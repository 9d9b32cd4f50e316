//! "Did you mean prod-db1?": the configured host closest to a name that is neither
//! configured nor resolvable, so a typo is caught before a session is recorded.

use std::net::ToSocketAddrs;

/// A name this many edits (insert, delete, replace, swap two neighbours) from a configured
/// host is taken for a typo of it; more is a different name.
const MAX_EDITS: usize = 2;

/// Edits between `a` and `b` (optimal string alignment distance).
pub fn edits(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The configured name closest to `name`, if it is close enough to be a typo of it (and
/// not `name` itself). Of equally close names the first in order wins.
pub fn closest<'a>(
    name: &str,
    configured: impl IntoIterator<Item = &'a String>,
) -> Option<&'a str> {
    configured
        .into_iter()
        .map(|c| (edits(name, c), c))
        // A short name is not a typo of another by half its letters.
        .filter(|(n, c)| *n > 0 && *n <= MAX_EDITS && *n * 2 < c.chars().count())
        .min_by_key(|(n, _)| *n)
        .map(|(_, c)| c.as_str())
}

/// Whether `host` resolves (as ssh would find it in DNS or /etc/hosts).
pub fn resolves(host: &str) -> bool {
    (host, 22)
        .to_socket_addrs()
        .is_ok_and(|mut a| a.next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edits("prod-db", "prod-db1"), 1);
        assert_eq!(edits("prod-bd1", "prod-db1"), 1);
        assert_eq!(edits("prd-db2", "prod-db1"), 2);
        assert_eq!(edits("", "abc"), 3);
    }

    #[test]
    fn the_closest_configured_host_is_suggested() {
        let hosts: Vec<String> = ["prod-db1", "prod-web1", "db"].map(String::from).to_vec();
        assert_eq!(closest("prod-db", &hosts), Some("prod-db1"));
        assert_eq!(closest("prod-wbe1", &hosts), Some("prod-web1"));
        assert_eq!(closest("staging-cache", &hosts), None);
        // Two letters from `db` is a different name, not a typo.
        assert_eq!(closest("xy", &hosts), None);
    }
}
