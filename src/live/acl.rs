//! Who may do what with a live session.
//!
//! Watch (read-only): the session's owner, root, and the users or `@groups` listed as
//! watchers or operators. Take the keyboard and end the session: root and the operators.
//! Identities come from the kernel (`SO_PEERCRED`) and the system's user and group
//! databases, never from the client.

use std::ffi::CString;

use nix::unistd::{Gid, Group, Uid, User, getgrouplist};

/// What a peer may do: watch, or also operate (the log's `mode` words).
pub use crate::log::vocab::Mode as Access;

/// A peer, as the system knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub uid: u32,
    pub name: String,
    pub groups: Vec<String>,
}

impl Peer {
    /// Look a uid up in the user and group databases.
    pub fn lookup(uid: u32) -> Peer {
        let user = User::from_uid(Uid::from_raw(uid)).ok().flatten();
        let name = user
            .as_ref()
            .map_or_else(|| uid.to_string(), |u| u.name.clone());
        let groups = user
            .and_then(|u| {
                let cname = CString::new(u.name).ok()?;
                getgrouplist(&cname, u.gid).ok()
            })
            .unwrap_or_default()
            .into_iter()
            .filter_map(|g: Gid| Group::from_gid(g).ok().flatten().map(|g| g.name))
            .collect();
        Peer { uid, name, groups }
    }
}

/// The rules of one session.
#[derive(Debug, Clone, Default)]
pub struct Acl {
    pub owner_uid: u32,
    /// Users and `@groups` who may watch.
    pub watchers: Vec<String>,
    /// Users and `@groups` who may watch, take the keyboard and end the session.
    pub operators: Vec<String>,
}

fn listed(list: &[String], peer: &Peer) -> bool {
    list.iter().any(|e| match e.strip_prefix('@') {
        Some(group) => peer.groups.iter().any(|g| g == group),
        None => *e == peer.name || e.parse::<u32>().is_ok_and(|u| u == peer.uid),
    })
}

impl Acl {
    /// The most a peer may do, or None.
    pub fn access(&self, peer: &Peer) -> Option<Access> {
        if peer.uid == 0 || listed(&self.operators, peer) {
            Some(Access::Operate)
        } else if peer.uid == self.owner_uid || listed(&self.watchers, peer) {
            Some(Access::Watch)
        } else {
            None
        }
    }
}

/// Split `alice,@ops` into entries.
pub fn parse_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(uid: u32, name: &str, groups: &[&str]) -> Peer {
        Peer {
            uid,
            name: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    #[test]
    fn roles() {
        let acl = Acl {
            owner_uid: 1000,
            watchers: parse_list("bob, @audit"),
            operators: parse_list("@ops,carol"),
        };
        assert_eq!(
            acl.access(&peer(1000, "alice", &[])),
            Some(Access::Watch),
            "the owner watches"
        );
        assert_eq!(
            acl.access(&peer(0, "root", &[])),
            Some(Access::Operate),
            "root operates"
        );
        assert_eq!(acl.access(&peer(1001, "bob", &[])), Some(Access::Watch));
        assert_eq!(
            acl.access(&peer(1002, "dan", &["audit"])),
            Some(Access::Watch)
        );
        assert_eq!(
            acl.access(&peer(1003, "erin", &["ops"])),
            Some(Access::Operate)
        );
        assert_eq!(acl.access(&peer(1004, "carol", &[])), Some(Access::Operate));
        assert_eq!(acl.access(&peer(1005, "mallory", &["users"])), None);
        let by_uid = Acl {
            owner_uid: 1,
            watchers: vec!["1005".into()],
            operators: vec![],
        };
        assert_eq!(
            by_uid.access(&peer(1005, "mallory", &[])),
            Some(Access::Watch)
        );
    }

    #[test]
    fn lookup_root() {
        let p = Peer::lookup(0);
        assert_eq!(p.name, "root");
    }
}
