//! `pont-sandbox [--port N] [--dossiers N] [--seed N] [--rate-limit N]`: serves the DS
//! simulator on 127.0.0.1 and prints `ds http://127.0.0.1:PORT/api/v2/graphql`.

use std::process::ExitCode;

use pont_sandbox::{Sandbox, SandboxConfig};

fn parse_args(mut config: SandboxConfig) -> Result<SandboxConfig, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
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
            "--url-ttl" => config.url_ttl_secs = val("--url-ttl")?,
            "-h" | "--help" => {
                return Err("usage: pont-sandbox [--port N] [--dossiers N] [--seed N] [--rate-limit N] [--url-ttl SECS]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(config)
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
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
