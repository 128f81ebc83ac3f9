use clap::Parser;
use tracing_subscriber::EnvFilter;

use altogic_local::config::{Cli, Command, LogFormat};

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_env("ALTOGIC_LOCAL_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    match cli.log_format {
        // One object a line, with the fields of the request's span (its id, method and path).
        LogFormat::Json => tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(true).with_span_list(false).init(),
        // Colours only on a terminal: a log file or a collector gets plain lines.
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())).init(),
    }
    let config = match cli.command {
        Command::Serve(config) => config,
        Command::Migrate(config) => {
            exit_on_error(altogic_local::migrate(&config).await.map_err(|e| e.to_string()));
            println!("altogic-local: the database schema is up to date");
            return;
        }
        Command::Backup(args) => {
            let summary = exit_on_error(altogic_local::backup::backup(&args.data_dir, &args.to).await.map_err(|e| e.to_string()));
            println!("altogic-local: backed up {} to {}: {summary}", args.data_dir.display(), args.to.display());
            return;
        }
        Command::Restore(args) => {
            let summary = exit_on_error(altogic_local::backup::restore(&args.from, &args.data_dir).await.map_err(|e| e.to_string()));
            println!("altogic-local: restored {} into {}: {summary}", args.from.display(), args.data_dir.display());
            return;
        }
        Command::Copy(args) => {
            let report = exit_on_error(altogic_local::copy::copy(&args, |stage| println!("altogic-local: {stage}")).await);
            println!("altogic-local: copied {} onto PostgreSQL:\n{report}", args.data_dir.display());
            println!("Start the servers with --database-url, the same --mfa-key-file (or this data dir's mfa-key) and, if you gave one, the same --storage-url.");
            return;
        }
    };
    let generated_key = config.client_key.is_none() && config.client_key_file.is_none();
    let data_dir = config.data_dir.clone();
    let server = match altogic_local::start(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("altogic-local: {e}");
            std::process::exit(1);
        }
    };
    // These lines are read by people and by scripts: keep their form.
    println!("altogic-local listening on {}", server.url);
    println!("envUrl:    {}", server.state.public_url);
    if generated_key {
        println!("clientKey: {}  (stored in {})", server.client_key, data_dir.display());
    } else {
        println!("clientKey: (as given)");
    }
    // No secret is printed (logs are read by more people than the data dir): only where it is.
    match (&server.mailbox_token, &server.mailbox_token_file) {
        (Some(_), Some(file)) => println!("mailbox:   curl -H \"Authorization: Bearer $(cat '{}')\" {}/_local/v1/mail", file.display(), server.url),
        (Some(_), None) => println!("mailbox:   on (the token given with --mailbox-token)"),
        (None, _) => println!("mailbox:   off"),
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// The value, or the error printed and exit code 1.
fn exit_on_error<T>(result: Result<T, String>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => {
            eprintln!("altogic-local: {e}");
            std::process::exit(1);
        }
    }
}
