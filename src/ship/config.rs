//! The `[store]` table of the config: where sessions are shipped (an S3 URL), the endpoint
//! and region of the S3 service, the name this bastion ships under, and the credentials
//! file; checked into a [`StoreConfig`]. Pure: no I/O.

use std::path::PathBuf;

use serde::Deserialize;

/// Longest bastion name: one path segment of an S3 key, readable in a listing.
const MAX_BASTION: usize = 64;
/// S3 bucket names are 3 to 63 characters (the S3 naming rules).
const BUCKET_LEN: std::ops::RangeInclusive<usize> = 3..=63;

/// `[store]` as written, and once checked.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `s3://bucket/prefix`.
    pub url: String,
    /// The S3 service's URL, for S3-compatible servers (`http://127.0.0.1:7480`); AWS's
    /// own endpoint for the region when absent.
    pub endpoint: Option<String>,
    /// The region (`us-east-1` when absent and the environment names none).
    pub region: Option<String>,
    /// The name this bastion's sessions and ledger are shipped under: the host name
    /// when absent.
    pub bastion: Option<String>,
    /// A shared credentials file (the format of `~/.aws/credentials`) to use instead of
    /// the standard AWS chain's.
    pub credentials_file: Option<PathBuf>,
}

/// A store URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUrl {
    pub bucket: String,
    /// The key prefix, without leading or trailing `/`; may be empty.
    pub prefix: String,
}

impl StoreUrl {
    /// Parse `s3://bucket` or `s3://bucket/some/prefix`.
    pub fn parse(url: &str) -> Result<StoreUrl, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("`{url}` is not a store URL: write s3://BUCKET/PREFIX"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let ok_char =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
        if !BUCKET_LEN.contains(&bucket.len()) || !bucket.chars().all(ok_char) {
            return Err(format!(
                "`{bucket}` is not an S3 bucket name (3 to 63 of a-z, 0-9, `-`, `.`)"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|s| s == "." || s == "..") || prefix.contains("//") {
            return Err(format!(
                "the prefix `{prefix}` has an empty, `.` or `..` segment"
            ));
        }
        Ok(StoreUrl {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

/// Whether `name` may be a bastion's name: one plain key segment.
pub fn valid_bastion(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_BASTION
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Check `[store]` and `require_store` together.
pub fn check(store: Option<StoreConfig>, require: bool) -> Result<Option<StoreConfig>, String> {
    let Some(s) = store else {
        return if require {
            Err("require_store is set but there is no [store] table with a url".into())
        } else {
            Ok(None)
        };
    };
    StoreUrl::parse(&s.url).map_err(|e| format!("[store] url: {e}"))?;
    if let Some(b) = &s.bastion
        && !valid_bastion(b)
    {
        return Err(format!(
            "[store] bastion `{b}`: use 1 to {MAX_BASTION} of A-Z a-z 0-9 - _ ."
        ));
    }
    if let Some(e) = &s.endpoint
        && !(e.starts_with("http://") || e.starts_with("https://"))
    {
        return Err(format!(
            "[store] endpoint `{e}`: write http://HOST:PORT or https://HOST"
        ));
    }
    Ok(Some(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = StoreUrl::parse("s3://audit-logs/breakglass/prod/").unwrap();
        assert_eq!(u.bucket, "audit-logs");
        assert_eq!(u.prefix, "breakglass/prod");
        assert_eq!(StoreUrl::parse("s3://audit-logs").unwrap().prefix, "");
        assert!(StoreUrl::parse("https://x/y").is_err());
        assert!(StoreUrl::parse("s3://AB/y").is_err());
        assert!(StoreUrl::parse("s3://abc/x/../y").is_err());
        assert!(StoreUrl::parse("s3://abc/x//y").is_err());
    }

    #[test]
    fn bastions_and_policy() {
        assert!(valid_bastion("bastion-1.prod"));
        assert!(!valid_bastion("a/b"));
        assert!(!valid_bastion(".."));
        assert!(check(None, true).is_err());
        assert_eq!(check(None, false), Ok(None));
        let s = StoreConfig {
            url: "s3://bucket/p".into(),
            endpoint: Some("ftp://x".into()),
            ..Default::default()
        };
        assert!(check(Some(s), false).unwrap_err().contains("endpoint"));
    }

    #[test]
    fn the_config_file_takes_a_store_table_and_the_policy() {
        let path = std::path::Path::new("c.toml");
        let text = "require_store = true\n[store]\nurl = \"s3://audit-logs/p\"\nendpoint = \"http://127.0.0.1:7480\"\nregion = \"eu-central-1\"\nbastion = \"b1\"\ncredentials_file = \"/etc/breakglass/s3\"\n";
        let cfg = crate::config::Config::parse(text, path).unwrap();
        assert!(cfg.require_store);
        let s = cfg.store.unwrap();
        assert_eq!(s.region.as_deref(), Some("eu-central-1"));
        assert_eq!(s.bastion.as_deref(), Some("b1"));
        let e = crate::config::Config::parse("require_store = true\n", path).unwrap_err();
        assert!(e.message.contains("require_store"), "{}", e.message);
        let e = crate::config::Config::parse("[store]\nurl = \"s3://x\"\n", path).unwrap_err();
        assert!(e.message.contains("bucket name"), "{}", e.message);
        let e = crate::config::Config::parse("[store]\nurl = \"s3://abc\"\nbucket = 1\n", path)
            .unwrap_err();
        assert!(e.message.contains("bucket"), "{}", e.message);
    }
}
