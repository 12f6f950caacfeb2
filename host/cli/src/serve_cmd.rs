//! `pont serve` and `pont serve --check`: a thin layer over `pont-serve`.
//! The signals are handled here: SIGTERM/SIGINT stop the service
//! gracefully (a second one at once), SIGHUP reloads its config.

use std::path::Path;

use crate::exit::{Exit, Failure};

/// `--check`: one line per problem on stderr, exit 4 when there is one.
pub(crate) fn check(config: &Path) -> Result<Exit, Failure> {
    let problems = pont_serve::check(config);
    for p in &problems {
        eprintln!("pont: error: {p}");
    }
    if problems.is_empty() {
        println!("{}: ok", config.display());
        Ok(Exit::Ok)
    } else {
        Ok(Exit::Config)
    }
}

fn failure(e: pont_serve::ServeError) -> Failure {
    let code = match e {
        pont_serve::ServeError::Config(_) => Exit::Config,
        _ => Exit::Fatal,
    };
    Failure::new(code, e.to_string())
}

/// Serve until a stop signal, then wait for the runs going to end.
pub(crate) fn serve(config: &Path) -> Result<Exit, Failure> {
    let service = match pont_serve::Service::load(config) {
        Ok(s) => s,
        Err(pont_serve::ServeError::Config(lines)) => {
            for line in lines.lines() {
                eprintln!("pont: error: {line}");
            }
            return Ok(Exit::Config);
        }
        Err(e) => return Err(failure(e)),
    };
    crate::runtime()?.block_on(async {
        let listener = service.bind().await.map_err(failure)?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::new(Exit::Fatal, e.to_string()))?;
        tracing::info!("pont serve: listening on http://{addr}");
        crate::signals::watch(service.stop_token(), service.grace(), "the service")?;
        reload_on_hangup(service.clone())?;
        service.run(listener).await.map_err(failure)?;
        tracing::info!("pont serve: stopped");
        Ok(Exit::Ok)
    })
}

fn reload_on_hangup(service: pont_serve::Service) -> Result<(), Failure> {
    let mut hangups = crate::signals::hangups()?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match service.reload() {
                Ok(n) => tracing::info!("SIGHUP: config reloaded ({n} robot(s))"),
                Err(e) => tracing::error!(
                    "SIGHUP: config not reloaded, the previous one stays: {}",
                    e.to_string().replace('\n', "; ")
                ),
            }
        }
    });
    Ok(())
}
