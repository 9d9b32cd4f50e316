//! The fire id keys of the policy: what is accepted, what is refused and why, and that a
//! user's config can neither add nor change a fire id.

use super::*;

fn host(toml_text: &str) -> HostConfig {
    toml::from_str(toml_text).unwrap()
}

fn known() -> Option<&'static Path> {
    Some(Path::new("/etc/breakglass/known_hosts"))
}

#[test]
fn a_fire_id_host_needs_an_address_and_the_known_hosts() {
    let ok = host(
        "address = \"10.1.2.3\"\nfire_id = \"firefighter\"\nport = 2222\nsource_address = [\"10.0.0.5/32\", \"fd00::/8\"]\n",
    );
    assert_eq!(check_host("prod-db1", &ok, known()), Ok(()));
    let e = check_host("prod-db1", &ok, None).unwrap_err();
    assert!(e.contains("known_hosts = "), "{e}");
    let e = check_host("h", &host("fire_id = \"f\"\n"), known()).unwrap_err();
    assert!(e.contains("needs address"), "{e}");
    for bad in ["-oProxyCommand=x", "root@10.1.2.3", "a b", ""] {
        let h = host(&format!("address = \"{bad}\"\nfire_id = \"f\"\n"));
        let e = check_host("h", &h, known()).unwrap_err();
        assert!(e.contains("needs address"), "{bad}: {e}");
    }
    for good in ["10.1.2.3", "fe80::1%eth0", "db1.prod.example.com"] {
        let h = host(&format!("address = \"{good}\"\nfire_id = \"f\"\n"));
        assert_eq!(check_host("h", &h, known()), Ok(()), "{good}");
    }
    let e = check_host(
        "h",
        &host("address = \"a\"\nfire_id = \"f\"\ncommand = [\"ssh\", \"a\"]\n"),
        known(),
    )
    .unwrap_err();
    assert!(e.contains("remove command"), "{e}");
    let e = check_host(
        "h",
        &host("address = \"a\"\nfire_id = [\"f\", \"root@x\"]\n"),
        known(),
    )
    .unwrap_err();
    assert!(e.contains("not a user name"), "{e}");
    let e = check_host("h", &host("address = \"a\"\nfire_id = []\n"), known()).unwrap_err();
    assert!(e.contains("1 to 16"), "{e}");
    let e = check_host(
        "h",
        &host("address = \"a\"\nfire_id = \"f\"\nsource_address = [\"10.0.0.0/33\"]\n"),
        known(),
    )
    .unwrap_err();
    assert!(e.contains("CIDR"), "{e}");
    let e = check_host("h", &host("address = \"a\"\n"), known()).unwrap_err();
    assert!(e.contains("no fire_id"), "{e}");
    assert_eq!(
        check_host("h", &host("require_operator = true\n"), None),
        Ok(())
    );
}

#[test]
fn the_target_takes_the_policy_values() {
    let mut cfg = Config {
        known_hosts: Some(PathBuf::from("/k")),
        ..Config::default()
    };
    cfg.hosts.insert(
        "db".into(),
        host("address = \"10.1.2.3\"\nfire_id = [\"firefighter\", \"dba\"]\n"),
    );
    cfg.hosts.insert("web".into(), HostConfig::default());
    let t = target(&cfg, "db").unwrap();
    assert_eq!(t.user(), "firefighter");
    assert_eq!(t.principals, ["firefighter", "dba"]);
    assert_eq!((t.port, t.address.as_str()), (22, "10.1.2.3"));
    assert_eq!(target(&cfg, "web"), None);
    assert_eq!(target(&cfg, "nowhere"), None);
}

#[test]
fn a_user_config_cannot_add_or_change_a_fire_id() {
    let mut policy = BTreeMap::new();
    policy.insert(
        "db".to_string(),
        host("address = \"10.1.2.3\"\nfire_id = \"ff\"\n"),
    );
    policy.insert("web".to_string(), HostConfig::default());
    let mut user = Config::default();
    user.hosts.insert(
        "db".into(),
        host("address = \"evil\"\nfire_id = \"root\"\n"),
    );
    user.hosts
        .insert("x".into(), host("address = \"x\"\nfire_id = \"root\"\n"));
    user.hosts.insert("mine".into(), HostConfig::default());
    user.known_hosts = Some(PathBuf::from("/home/u/kh"));
    keep_policy_hosts(policy, Some(PathBuf::from("/k")), &mut user);
    assert_eq!(user.known_hosts.as_deref(), Some(Path::new("/k")));
    assert_eq!(user.hosts["db"].address.as_deref(), Some("10.1.2.3"));
    assert!(!user.hosts.contains_key("x"));
    assert!(user.hosts.contains_key("mine"));
}

#[test]
fn the_genesis_binds_the_certificate_all_or_nothing() {
    use crate::log::parse::decode;
    use crate::log::record::{Body, CertBinding, Genesis, Record, encode};
    let cert = CertBinding {
        serial: "0ccd1a9b5e27f32b".into(),
        key_id: "breakglass:s:u:t".into(),
        principals: vec!["firefighter".into()],
        valid_after: 10,
        valid_before: 20,
        ca: "SHA256:abc".into(),
    };
    let g = |cert| Record {
        seq: 0,
        t: 0,
        prev: [0; 32],
        body: Body::Genesis(Box::new(Genesis {
            v: 1,
            session: "s".into(),
            cert,
            ..Genesis::default()
        })),
    };
    let mut line = Vec::new();
    encode(&g(Some(cert.clone())), &mut line);
    let text = String::from_utf8(line.clone()).unwrap();
    assert!(text.ends_with(r#","origin":"","cert_serial":"0ccd1a9b5e27f32b","cert_key_id":"breakglass:s:u:t","cert_principals":["firefighter"],"cert_valid_after":10,"cert_valid_before":20,"cert_ca":"SHA256:abc"}"#), "{text}");
    assert_eq!(decode(&line).unwrap(), g(Some(cert)));
    // One field gone: refused.
    let partial = text.replace(r#","cert_ca":"SHA256:abc""#, "");
    assert!(decode(partial.as_bytes()).unwrap_err().contains("cert_"));
    // Without any: as before.
    let mut old = Vec::new();
    encode(&g(None), &mut old);
    assert!(!String::from_utf8_lossy(&old).contains("cert_"));
    assert_eq!(decode(&old).unwrap(), g(None));
}

#[test]
fn reviewers_read_the_certificate_in_one_line() {
    let c = crate::log::record::CertBinding {
        serial: "00000000000000ff".into(),
        key_id: "breakglass:s:u:t".into(),
        principals: vec!["firefighter".into(), "dba".into()],
        valid_after: 1_800_000_000,
        valid_before: 1_800_000_720,
        ca: "SHA256:abc".into(),
    };
    assert_eq!(
        describe(&c),
        "firefighter, dba (certificate serial 00000000000000ff, key id breakglass:s:u:t, valid 2027-01-15T08:00:00Z to 2027-01-15T08:12:00Z, CA SHA256:abc)"
    );
}
