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
apps = ["chorus"]

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
        c.grant_secrets["cps-password"].source,
        SecretSource::File("/run/secrets/cps".into())
    );
    assert_eq!(c.limits.memory_mb, 64);
    assert_eq!(c.queue.dossiers, vec![1, 2, 3]);
    let ds = c.ds.unwrap();
    assert_eq!((ds.requests_per_minute, ds.rate_window_secs), (400, 60));
}

#[test]
fn the_ds_rate_window_is_checked() {
    let with = |w: &str| {
        parse(&OK.replace(
            "instructeur = \"robot@prefecture.gouv.fr\"",
            &format!("instructeur = \"robot@prefecture.gouv.fr\"\nrate-window-secs = {w}"),
        ))
    };
    assert_eq!(with("2").unwrap().ds.unwrap().rate_window_secs, 2);
    for bad in ["0", "3601"] {
        let err = with(bad).unwrap_err().to_string();
        assert!(err.contains("ds.rate-window-secs"), "{err}");
    }
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

fn with_queue(queue: &str) -> String {
    let start = OK.find("[queue]").unwrap();
    let rest = &OK[start..];
    let end = rest[1..].find("\n[").map_or(OK.len(), |i| start + 1 + i);
    format!("{}[queue]\n{queue}\n{}", &OK[..start], &OK[end..])
}

#[test]
fn a_demarche_queue_is_validated_against_the_grant() {
    let c = parse(&with_queue(
        "demarche = 1001\nstates = [\"en_construction\", \"en_instruction\"]\nbatch = 50\nmax-attempts = 5\nretry-backoff-ms = 200",
    ))
    .unwrap();
    assert_eq!(c.queue.demarche, Some(1001));
    assert_eq!(c.queue.states, ["en_construction", "en_instruction"]);
    assert_eq!(c.queue.batch, Some(50));
    assert!(c.queue.incremental);
    assert_eq!(
        c.queue.retry,
        RetryPolicy {
            max_attempts: 5,
            backoff_ms: 200
        }
    );
    let refused = |q: &str, needle: &str| {
        let err = parse(&with_queue(q)).unwrap_err().to_string();
        assert!(err.contains(needle), "{q}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    };
    refused(
        "demarche = 2002",
        "démarche 2002 is not in grant.ds.demarches",
    );
    refused("demarche = 1001\ndossiers = [1]", "not both");
    refused(
        "demarche = 1001\nstates = [\"acceptee\"]",
        "`acceptee` is not a DS state",
    );
    refused("demarche = 1001\norder = \"random\"", "only `arrival`");
    refused("demarche = 1001\nbatch = 0", "queue.batch");
    refused("demarche = 1001\nmax-attempts = 0", "queue.max-attempts");
    refused("demarche = 1001\npriority = 1", "priority");
}

#[test]
fn the_report_baseline_must_be_positive() {
    let text = format!("{OK}\n[report]\nbaseline-minutes = 7.5\n");
    assert_eq!(parse(&text).unwrap().report.baseline_minutes, Some(7.5));
    let err = parse(&format!("{OK}\n[report]\nbaseline-minutes = -1\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("report.baseline-minutes"), "{err}");
}

/// `OK` with the CPS secret's destination lines replaced by `lines`, and an
/// HTTP grant to bind secrets to.
fn with_secret_destinations(lines: &str) -> String {
    OK.replace("apps = [\"chorus\"]\n", lines).replace(
        "[grant.mounts.reports]",
        "[grant.http.referentiel]\norigin = \"https://ref.example\"\n\n[grant.mounts.reports]",
    )
}

#[test]
fn a_secret_is_bound_to_granted_apps_and_http_origins() {
    let c = parse(&with_secret_destinations(
        "apps = [\"chorus\", \"chorus\"]\norigins = [\"HTTPS://ref.example:443/path\"]\n",
    ))
    .unwrap();
    let s = &c.grant_secrets["cps-password"];
    assert_eq!(s.apps.iter().collect::<Vec<_>>(), ["chorus"]);
    let origins: Vec<String> = s.origins.iter().map(ToString::to_string).collect();
    assert_eq!(origins, ["https://ref.example:443"]);
    let only_http = parse(&with_secret_destinations(
        "origins = [\"https://ref.example\"]\n",
    ))
    .unwrap();
    assert!(only_http.grant_secrets["cps-password"].apps.is_empty());
}

#[test]
fn a_secret_without_destination_is_refused_saying_what_to_add() {
    for lines in ["", "apps = []\norigins = []\n"] {
        let err = parse(&with_secret_destinations(lines))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`grant.secrets.cps-password`: say where"),
            "{err}"
        );
        assert!(
            err.contains("`apps = [") && err.contains("`origins = ["),
            "{err}"
        );
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

#[test]
fn a_secret_bound_to_an_ungranted_destination_is_named() {
    let refused = |lines: &str, needle: &str| {
        let err = parse(&with_secret_destinations(lines))
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{lines}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    };
    refused(
        "apps = [\"cps\"]\n",
        "`grant.secrets.cps-password.apps`: `cps` is not a granted browser application",
    );
    refused(
        "origins = [\"https://evil.example\"]\n",
        "`grant.secrets.cps-password.origins`: https://evil.example:443 is not the origin of any [grant.http] entry",
    );
    refused(
        "origins = [\"ftp://ref.example\"]\n",
        "grant.secrets.cps-password.origins",
    );
    refused("app = [\"chorus\"]\n", "unknown field `app`");
}

fn with_approval(section: &str) -> String {
    format!("{OK}\n[approval]\n{section}\n")
}

#[test]
fn approval_is_parsed_with_review_by_default() {
    let c = parse(&with_approval("required = [\"accepter\"]")).unwrap();
    assert!(c.approval.requires(DsAction::Accepter));
    assert!(!c.approval.requires(DsAction::Refuser));
    assert_eq!(c.approval.on_reject, OnReject::Review);
    let c = parse(&with_approval(
        "required = [\"accepter\"]\non-reject = \"robot\"",
    ))
    .unwrap();
    assert_eq!(c.approval.on_reject, OnReject::Robot);
    assert!(parse(OK).unwrap().approval.required.is_empty());
}

#[test]
fn bad_approval_lines_are_one_line_errors() {
    let refused = |section: &str, needle: &str| {
        let err = parse(&with_approval(section)).unwrap_err().to_string();
        assert!(err.contains(needle), "{section}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    };
    refused("required = [\"refuse\"]", "unknown DS action `refuse`");
    refused("required = [\"refuser\"]", "`refuser` is not granted");
    refused("required = [\"read\"]", "`read` cannot require approval");
    refused(
        "required = []\non-reject = \"bin\"",
        "`bin` is not `review` or `robot`",
    );
    refused("requires = [\"accepter\"]", "unknown field `requires`");
}
