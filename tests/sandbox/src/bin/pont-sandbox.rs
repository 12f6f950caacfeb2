//! `pont-sandbox [--port N] [--apps-port N] [--dossiers N] [--seed N] [--rate-limit N] [--rate-window SECS] [--url-ttl SECS]
//! [--attachment DOSSIER[:SIZE]]…`: serves the DS simulator on 127.0.0.1 and prints
//! `ds http://127.0.0.1:PORT/api/v2/graphql`, then one `attachment DOSSIER URL` line per
//! generated attachment (the streaming benchmark downloads that URL with curl).

use std::process::ExitCode;

use pont_sandbox::model::{Content, Value};
use pont_sandbox::{App, AppPorts, AttachmentSpec, Sandbox, SandboxConfig};

const USAGE: &str = "usage: pont-sandbox [--port N] [--apps-port N] [--dossiers N] [--seed N] [--rate-limit N] [--rate-window SECS] [--url-ttl SECS] [--attachment DOSSIER[:SIZE]]...";

fn parse_args(mut config: SandboxConfig) -> Result<SandboxConfig, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--attachment" {
            let spec = it.next().ok_or("--attachment needs DOSSIER[:SIZE]")?;
            let spec = AttachmentSpec::parse_cli(spec).map_err(|e| e.to_string())?;
            config.attachments.push(spec);
            continue;
        }
        let mut val = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match a.as_str() {
            "--port" => {
                config.port =
                    u16::try_from(val("--port")?).map_err(|_| "--port out of range".to_owned())?
            }
            "--dossiers" => config.dossiers_per_demarche = val("--dossiers")?.min(10_000) as usize,
            "--seed" => config.seed = val("--seed")?,
            "--rate-limit" => {
                config.rate_limit = u32::try_from(val("--rate-limit")?).unwrap_or(u32::MAX)
            }
            "--rate-window" => config.rate_window_secs = val("--rate-window")?.max(1),
            "--url-ttl" => config.url_ttl_secs = val("--url-ttl")?,
            "--apps-port" => {
                let base = u16::try_from(val("--apps-port")?)
                    .ok()
                    .filter(|b| b.checked_add(App::ALL.len() as u16).is_some() && *b > 0)
                    .ok_or("--apps-port out of range")?;
                config.apps.ports = fixed_ports(base);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(config)
}

/// Signed URLs of the configured attachments, valid for `--url-ttl`: for each spec, the first
/// generated file of that size on its dossier not already listed (specs are added in order).
fn attachment_urls(sandbox: &Sandbox) -> Vec<(i64, String)> {
    let world = sandbox.world();
    let specs = world.lock().config.attachments.clone();
    let mut listed = Vec::new();
    let mut out = Vec::new();
    for spec in &specs {
        let Some(dossier) = world.dossier(spec.dossier) else {
            continue;
        };
        let file = dossier
            .champs
            .iter()
            .filter_map(|c| match &c.value {
                Value::Files(list) => Some(list),
                _ => None,
            })
            .flatten()
            .filter(|f| {
                matches!(f.content, Content::Generated { len, .. } if len == spec.size)
                    && !listed.contains(&f.id)
            })
            .min_by_key(|f| f.id);
        if let Some(file) = file {
            listed.push(file.id);
            out.push((spec.dossier, world.file_url(file)));
        }
    }
    out
}

/// The apps on consecutive ports from `base`, in the order they are printed, so the example
/// robot configs can name them (`--apps-port 8001`: chorus 8001, casier 8002, …).
fn fixed_ports(base: u16) -> AppPorts {
    let port = |app: App| base + App::ALL.iter().position(|a| *a == app).unwrap_or(0) as u16;
    AppPorts {
        chorus: port(App::Chorus),
        casier: port(App::Casier),
        controle: port(App::Controle),
        actes: port(App::Actes),
        cps: port(App::Cps),
        referentiel: port(App::Referentiel),
        sirh: port(App::Sirh),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args(SandboxConfig::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pont-sandbox: {e}");
            return ExitCode::from(1);
        }
    };
    println!("ds {}", sandbox.ds_url());
    println!("control {}/__sandbox/info", sandbox.base_url());
    for app in pont_sandbox::App::ALL {
        println!("{} {}", app.name(), sandbox.app_url(app));
    }
    for (dossier, url) in attachment_urls(&sandbox) {
        println!("attachment {dossier} {url}");
    }
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
