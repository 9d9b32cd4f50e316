//! The configuration as the read-only commands (`ls`, `verify`, `replay`, `export`,
//! `show`, `grep`) take it: a mistake in the file is a warning there, not a stop, since
//! reviewing what was recorded must not wait for a config fix. Only `dir` matters to them,
//! and it is still read from a file that is otherwise wrong, so they look in the right
//! data dir.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::Failure;

/// The config, or on a mistake the default config with the file's `dir` kept, and the
/// warning to print.
pub fn load(explicit: Option<&Path>) -> (Config, Option<String>) {
    match Config::load(explicit) {
        Ok(c) => (c, None),
        Err(e) => {
            let path = Config::find(explicit);
            let dir = path
                .as_deref()
                .and_then(|p| std::fs::read_to_string(p).ok())
                .and_then(|t| dir_of(&t));
            (
                Config {
                    dir: dir.clone(),
                    path,
                    ..Config::default()
                },
                Some(warning(&e, dir.as_deref())),
            )
        }
    }
}

/// `dir = "..."` from the text of a config file with mistakes elsewhere, if it can be read.
pub fn dir_of(text: &str) -> Option<PathBuf> {
    let table: toml::Table = toml::from_str(text).ok()?;
    table.get("dir")?.as_str().map(PathBuf::from)
}

fn warning(e: &Failure, dir: Option<&Path>) -> String {
    let dir = match dir {
        Some(d) => format!("its dir {} is still used", d.display()),
        None => "the default settings are used".to_string(),
    };
    format!(
        "breakglass: warning: {}; {dir} for this read-only command (fix the file before the next `breakglass shell`)",
        crate::safe::text(&e.message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_is_kept_from_a_file_with_a_typo() {
        let text = "dir = \"/srv/bg\"\nrequire_ticekt = true\n";
        assert_eq!(dir_of(text), Some(PathBuf::from("/srv/bg")));
        assert_eq!(dir_of("dir = [1]\n"), None);
        assert_eq!(dir_of("this is not toml"), None);
    }
}
