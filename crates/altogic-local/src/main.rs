use clap::Parser;
use tracing_subscriber::EnvFilter;

use altogic_local::config::{Cli, Command};

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("ALTOGIC_LOCAL_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .with_target(false)
        // Colours only on a terminal: a log file or a collector gets plain lines.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let config = match Cli::parse().command {
        Command::Serve(config) => config,
        Command::Migrate(config) => match altogic_local::migrate(&config).await {
            Ok(()) => {
                println!("altogic-local: the database schema is up to date");
                return;
            }
            Err(e) => {
                eprintln!("altogic-local: {e}");
                std::process::exit(1);
            }
        },
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
