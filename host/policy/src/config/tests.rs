use super::*;

const OK: &str = r#"
[plugin]
path = "hello.wasm"

[ds]
endpoint = "http://127.0.0.1:8080/api/v2/graphql"
token = { env = "DS_TOKEN" }
instructeur = "robot@prefecture.gouv.fr"

[grant]
log = true
state = true

[grant.ds]
demarches = [1001]
actions = ["read", "accepter"]

[grant.browser.chorus]
origin = "http://127.0.0.1:9001"
stable-id = "data-testid"

[grant.mounts.reports]
path = "reports"
access = "read-write"
quota-mb = 10

[grant.secrets.cps-password]
file = "/run/secrets/cps"

[limits]
memory-mb = 64
item-timeout-secs = 5

[paths]
journal = "hello.sqlite"
audit = "/var/log/pont/hello.jsonl"

[queue]
dossiers = [1, 2, 3]

[settings]
greeting = "Bonjour"
"#;

fn parse(text: &str) -> Result<RobotConfig, PolicyError> {
    RobotConfig::parse(text, Path::new("/etc/pont/hello.toml"))
}

#[test]
fn parses_and_resolves_relative_paths() {
    let c = parse(OK).unwrap();
    assert_eq!(c.plugin, Path::new("/etc/pont/hello.wasm"));
    assert_eq!(c.manifest, Path::new("/etc/pont/pont.toml"));
    assert_eq!(c.paths.journal, Path::new("/etc/pont/hello.sqlite"));
    assert_eq!(c.paths.audit, Path::new("/var/log/pont/hello.jsonl"));
    assert_eq!(
        c.grant_mounts["reports"].path,
        Path::new("/etc/pont/reports")
    );
    assert_eq!(
        c.grant_mounts["reports"].quota_bytes,
        Some(10 * 1024 * 1024)
    );
    assert_eq!(
        c.grant_browser["chorus"].origin.to_string(),
        "http://127.0.0.1:9001"
    );
    assert_eq!(
        c.grant_secrets["cps-password"],
        SecretSource::File("/run/secrets/cps".into())
    );
    assert_eq!(c.limits.memory_mb, 64);
    assert_eq!(c.queue.dossiers, vec![1, 2, 3]);
    assert_eq!(c.ds.unwrap().requests_per_minute, 400);
}

#[test]
fn missing_required_field_is_named_on_one_line() {
    let text = OK.replace("audit = \"/var/log/pont/hello.jsonl\"\n", "");
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("missing field `audit`"), "{err}");
    assert!(
        err.starts_with("robot config /etc/pont/hello.toml"),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn unknown_key_is_refused() {
    let err = parse(&OK.replace("memory-mb = 64", "memory-mb = 64\nmemory-gb = 1"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `memory-gb`"), "{err}");
}

#[test]
fn secret_source_needs_exactly_one() {
    let err = parse(&OK.replace("file = \"/run/secrets/cps\"", "file = \"/x\"\nenv = \"X\""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("grant.secrets.cps-password"), "{err}");
}

#[test]
fn bad_origin_and_bad_pin_are_named() {
    let err = parse(&OK.replace("http://127.0.0.1:9001", "ftp://x"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("grant.browser.chorus.origin"), "{err}");
    let err = parse(&OK.replace(
        "path = \"hello.wasm\"",
        "path = \"hello.wasm\"\nsha256 = \"abc\"",
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("plugin.sha256"), "{err}");
}

#[test]
fn ds_actions_without_ds_section_are_refused() {
    let start = OK.find("[ds]").unwrap();
    let end = OK.find("[grant]").unwrap();
    let text = format!("{}{}", &OK[..start], &OK[end..]);
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("no [ds] section"), "{err}");
}

#[test]
fn duplicate_dossier_in_queue_is_refused() {
    let err = parse(&OK.replace("[1, 2, 3]", "[1, 2, 1]"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("listed twice"), "{err}");
}
