//! `pont`: run, inspect and (later) sign, audit and report Pont robots.
//! A thin layer: every command calls `pont-runtime` or `pont-policy`.

mod approval_cmds;
mod audit_cmd;
mod compile_cmd;
mod exit;
mod grant;
mod output;
mod progress;
mod queue_cmds;
mod report_cmds;
mod serve_cmd;
mod signals;
mod trust;
mod user_cmds;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit::Exit;

/// Pont runs RPA robots (WebAssembly components) around Démarches
/// Simplifiées, each confined to what its operator granted.
#[derive(Debug, Parser)]
#[command(name = "pont", version, about, long_about = None, after_help = exit::HELP)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// More log detail (-v debug, -vv trace). `PONT_LOG` overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only warnings and errors on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a robot over its queue, as its robot config says.
    #[command(after_help = exit::HELP)]
    Run {
        /// The operator's robot config (TOML).
        config: PathBuf,
        /// Print the run summary as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Where compiled components are cached (default: $PONT_CACHE_DIR,
        /// the config's paths.cache, or ~/.cache/pont).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
        /// DEVELOPMENT ONLY: run a plugin that is unsigned or not signed by a
        /// key the config trusts. Logged loudly and recorded in the summary.
        #[arg(long)]
        allow_unsigned: bool,
        /// Dossiers processed at once, each in its own sandbox instance.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        parallel: u16,
        /// On SIGTERM or SIGINT, seconds the running dossiers have to finish
        /// before they are abandoned (a second signal stops at once).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=86400))]
        grace_secs: u64,
    },
    /// Run robots on schedules, with an HTTP API, metrics, webhooks and
    /// alerts, as the service config says (SIGHUP reloads it).
    #[command(after_help = exit::HELP)]
    Serve {
        /// The service config (TOML).
        config: PathBuf,
        /// Only check the service config and every robot config it names:
        /// one line per problem, exit 4 if there is one.
        #[arg(long)]
        check: bool,
    },
    /// List the past runs of a robot config, most recent first.
    Runs {
        /// The robot config (TOML).
        config: PathBuf,
        /// How many runs to show.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The dossiers waiting for a person: list, show, retry, dismiss.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// The guide's KPI table per robot over a period, from the journals.
    Report {
        /// Robot configs (one row per robot).
        #[arg(required = true)]
        configs: Vec<PathBuf>,
        /// Start of the period (YYYY-MM-DD or RFC 3339), inclusive. Default: 30 days ago.
        #[arg(long)]
        since: Option<String>,
        /// End of the period, exclusive. Default: now.
        #[arg(long)]
        until: Option<String>,
        #[arg(long, value_enum, default_value_t = report_cmds::Format::Markdown)]
        format: report_cmds::Format,
        /// Write to this file (required for xlsx) instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Score a use case on the guide's opportunity grid (out of 37).
    Assess {
        /// A TOML answers file; without it, the questions are asked on the terminal.
        #[arg(long)]
        answers: Option<PathBuf>,
    },
    /// Make a signing key pair (minisign format).
    Keygen {
        /// Secret key file to create (mode 0600; never overwritten).
        #[arg(long, default_value = "pont.key")]
        secret_key: PathBuf,
        /// Public key file to create.
        #[arg(long, default_value = "pont.pub")]
        public_key: PathBuf,
    },
    /// Sign a plugin and its manifest: writes <plugin>.minisig.
    Sign {
        /// The secret key file (from `pont keygen`, or an unencrypted minisign key).
        #[arg(long)]
        key: PathBuf,
        /// The plugin component (.wasm).
        plugin: PathBuf,
        /// Its manifest, if not `pont.toml` beside it.
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// Check a plugin's signature (Pont's or minisign's) against trusted keys.
    #[command(after_help = exit::HELP)]
    Verify {
        /// A trusted public key line (RW…); repeatable.
        #[arg(long = "trusted-key")]
        trusted_keys: Vec<String>,
        /// A trusted public key file; repeatable.
        #[arg(long = "public-key")]
        public_keys: Vec<PathBuf>,
        /// The plugin component (.wasm).
        plugin: PathBuf,
        /// Its manifest, if not `pont.toml` beside it.
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// The web console's local accounts (argon2-hashed, in a file `pont
    /// serve` reads at each login).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check audit logs.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Compile a plugin into the component cache ahead of its first run
    /// (a Python robot takes tens of seconds to compile).
    Compile {
        /// The plugin component (.wasm).
        plugin: PathBuf,
        /// The cache directory (default: $PONT_CACHE_DIR, or ~/.cache/pont).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// Draft a robot config from a plugin's manifest, every request spelled
    /// out, for the operator to review and fill in.
    Grant {
        /// The plugin component (.wasm).
        plugin: PathBuf,
        /// Its manifest, if not `pont.toml` beside it.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Write the draft to this new file instead of stdout (never overwrites).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Show what a plugin imports and exports, its SHA-256 and its manifest.
    Inspect {
        /// The plugin component (.wasm).
        plugin: PathBuf,
        /// Its manifest, if not `pont.toml` beside it.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ReviewCommand {
    /// The dossiers in the review queue.
    List {
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// One dossier: why it is there, its DS mutations, its last log.
    Show {
        config: PathBuf,
        dossier: i64,
        #[arg(long)]
        json: bool,
    },
    /// Process these dossiers again now, with fresh attempts.
    #[command(after_help = exit::HELP)]
    Retry {
        config: PathBuf,
        #[arg(required = true)]
        dossiers: Vec<i64>,
        #[arg(long)]
        json: bool,
        /// DEVELOPMENT ONLY, as for `pont run`.
        #[arg(long)]
        allow_unsigned: bool,
    },
    /// Take dossiers out of the review queue for good (handled by a person).
    Dismiss {
        config: PathBuf,
        #[arg(required = true)]
        dossiers: Vec<i64>,
        /// Why, for the record.
        #[arg(long, default_value = "dismissed by an operator")]
        reason: String,
    },
    /// DS decisions the robot proposed ([approval] required), pending ones.
    Proposals {
        config: PathBuf,
        /// Every proposal, decided ones included.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Approve proposals: the host sends exactly what the robot proposed.
    Approve {
        config: PathBuf,
        #[arg(required = true)]
        proposals: Vec<i64>,
        /// Send as this DS instructeur (e-mail) instead of the robot's.
        #[arg(long)]
        instructeur: Option<String>,
    },
    /// Reject proposals, saying why: nothing is sent.
    Reject {
        config: PathBuf,
        #[arg(required = true)]
        proposals: Vec<i64>,
        #[arg(long)]
        reason: String,
    },
    /// Approve one proposal with your own motivation: the decision is yours.
    Modify {
        config: PathBuf,
        proposal: i64,
        #[arg(long)]
        motivation: String,
        /// Send as this DS instructeur (e-mail) instead of the robot's.
        #[arg(long)]
        instructeur: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add an account; the password is asked on the terminal (or read as
    /// one line from stdin when it is not a terminal).
    Add {
        /// The accounts file (created with mode 0600).
        #[arg(long)]
        accounts: PathBuf,
        /// The account name (lowercase letters, digits, `.`, `_`, `-`).
        name: String,
        /// Set the password of an existing account instead of refusing.
        #[arg(long)]
        replace: bool,
        /// The e-mail of the agent's DS instructeur account: decisions the
        /// agent approves are sent as this instructeur (kept on --replace
        /// when not given).
        #[arg(long)]
        instructeur: Option<String>,
    },
    /// Remove an account (its open sessions end at their next request).
    Remove {
        #[arg(long)]
        accounts: PathBuf,
        name: String,
    },
    /// List the accounts.
    List {
        #[arg(long)]
        accounts: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check an audit file's hash chain and hold its end against its seals
    /// (the head `<file>.head` and the journal's copy): exit 0 when intact,
    /// otherwise name the first record altered, removed, inserted or
    /// reordered, or the seal that does not match.
    #[command(after_help = exit::HELP)]
    Verify {
        /// The audit file (JSON lines); taken from `--config` if omitted.
        #[arg(required_unless_present = "config")]
        file: Option<PathBuf>,
        /// The robot config: its audit file and its journal, whose copy of
        /// the seal is checked (the check to rely on; see the README).
        #[arg(long)]
        config: Option<PathBuf>,
        /// The journal holding the seal, instead of the one the head names.
        #[arg(long, conflicts_with = "config")]
        journal: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init_logging(cli.log_format == LogFormat::Json, cli.verbose, cli.quiet);
    let result = match cli.command {
        Command::Run {
            config,
            json,
            cache_dir,
            allow_unsigned,
            parallel,
            grace_secs,
        } => {
            let mut opts = pont_runtime::RunOptions::new(config);
            opts.cache_dir = cache_dir;
            opts.allow_unsigned = allow_unsigned;
            opts.parallel = usize::from(parallel);
            opts.grace = std::time::Duration::from_secs(grace_secs);
            run(opts, json)
        }
        Command::Serve { config, check } => match check {
            true => serve_cmd::check(&config),
            false => serve_cmd::serve(&config),
        },
        Command::Runs {
            config,
            limit,
            json,
        } => queue_cmds::runs(&config, limit, json),
        Command::Review { command } => review(command),
        Command::Report {
            configs,
            since,
            until,
            format,
            output,
        } => report(&configs, since, until, format, output),
        Command::Assess { answers } => report_cmds::assess(answers.as_deref()),
        Command::Keygen {
            secret_key,
            public_key,
        } => trust::keygen(&secret_key, &public_key),
        Command::Sign {
            key,
            plugin,
            manifest,
        } => trust::sign(&key, &plugin, manifest),
        Command::Verify {
            trusted_keys,
            public_keys,
            plugin,
            manifest,
        } => trust::verify(&trusted_keys, &public_keys, &plugin, manifest),
        Command::Inspect {
            plugin,
            manifest,
            json,
        } => inspect(plugin, manifest, json),
        Command::Compile { plugin, cache_dir } => compile_cmd::compile(&plugin, cache_dir),
        Command::Grant {
            plugin,
            manifest,
            output,
        } => grant::grant(&plugin, manifest, output.as_deref()),
        Command::User { command } => user(command),
        Command::Audit {
            command:
                AuditCommand::Verify {
                    file,
                    config,
                    journal,
                },
        } => audit_cmd::verify(file, config, journal),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("pont: error: {}", e.message);
            e.code.into()
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, exit::Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            exit::Failure::new(Exit::Fatal, format!("cannot start the async runtime: {e}"))
        })
}

fn run(mut opts: pont_runtime::RunOptions, json: bool) -> Result<Exit, exit::Failure> {
    opts.progress = progress::bar(json);
    let stop = pont_runtime::CancellationToken::new();
    opts.stop = Some(stop.clone());
    let report = runtime()?.block_on(async {
        signals::watch(stop, opts.grace, "the run")?;
        pont_runtime::run(&opts).await.map_err(exit::Failure::from)
    })?;
    drop(opts);
    if json {
        output::print_json(&report)?;
    } else {
        output::print_run(&report);
    }
    Ok(if report.stopped() {
        Exit::Stopped
    } else if report.all_handled() {
        Exit::Ok
    } else {
        Exit::ItemsFailed
    })
}

fn user(command: UserCommand) -> Result<Exit, exit::Failure> {
    match command {
        UserCommand::Add {
            accounts,
            name,
            replace,
            instructeur,
        } => user_cmds::add(&accounts, &name, replace, instructeur.as_deref()),
        UserCommand::Remove { accounts, name } => user_cmds::remove(&accounts, &name),
        UserCommand::List { accounts } => user_cmds::list(&accounts),
    }
}

fn review(command: ReviewCommand) -> Result<Exit, exit::Failure> {
    match command {
        ReviewCommand::List { config, json } => queue_cmds::review_list(&config, json),
        ReviewCommand::Show {
            config,
            dossier,
            json,
        } => queue_cmds::review_show(&config, dossier, json),
        ReviewCommand::Retry {
            config,
            dossiers,
            json,
            allow_unsigned,
        } => {
            queue_cmds::retry_under_review(&config, &dossiers)?;
            let mut opts = pont_runtime::RunOptions::new(config);
            opts.allow_unsigned = allow_unsigned;
            opts.only = Some(dossiers);
            run(opts, json)
        }
        ReviewCommand::Dismiss {
            config,
            dossiers,
            reason,
        } => queue_cmds::review_dismiss(&config, &dossiers, &reason),
        ReviewCommand::Proposals { config, all, json } => approval_cmds::list(&config, all, json),
        ReviewCommand::Approve {
            config,
            proposals,
            instructeur,
        } => approval_cmds::decide(
            &config,
            &proposals,
            &pont_runtime::approval::Verdict::Approve,
            instructeur.as_deref(),
        ),
        ReviewCommand::Reject {
            config,
            proposals,
            reason,
        } => approval_cmds::decide(
            &config,
            &proposals,
            &pont_runtime::approval::Verdict::Reject { reason },
            None,
        ),
        ReviewCommand::Modify {
            config,
            proposal,
            motivation,
            instructeur,
        } => {
            let verdict = pont_runtime::approval::Verdict::Modify { motivation };
            approval_cmds::decide(&config, &[proposal], &verdict, instructeur.as_deref())
        }
    }
}

fn report(
    configs: &[PathBuf],
    since: Option<String>,
    until: Option<String>,
    format: report_cmds::Format,
    output: Option<PathBuf>,
) -> Result<Exit, exit::Failure> {
    let bad = |e: String| exit::Failure::new(Exit::Usage, e);
    let until = match until {
        Some(t) => report_cmds::parse_instant(&t).map_err(bad)?,
        None => chrono::Utc::now(),
    };
    let since = match since {
        Some(t) => report_cmds::parse_instant(&t).map_err(bad)?,
        None => until - chrono::Duration::days(30),
    };
    report_cmds::report(configs, since, until, format, output.as_deref())
}

fn inspect(plugin: PathBuf, manifest: Option<PathBuf>, json: bool) -> Result<Exit, exit::Failure> {
    let inspection =
        pont_runtime::inspect(&plugin, manifest.as_deref()).map_err(exit::Failure::from)?;
    if json {
        output::print_json(&inspection)?;
    } else {
        output::print_inspection(&inspection);
    }
    Ok(Exit::Ok)
}
