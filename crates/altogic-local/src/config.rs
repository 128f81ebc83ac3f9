//! Settings, from the command line or `ALTOGIC_LOCAL_*` environment variables. The app embeds the
//! server by building a [`Config`] directly.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "altogic-local", version, about = "An Altogic-compatible backend on SQLite, with a dev mailbox")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve(Config),
}

#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ALTOGIC_LOCAL_LISTEN", default_value = "127.0.0.1:7171")]
    pub listen: SocketAddr,

    /// Folder for the database (created if missing).
    #[arg(long, env = "ALTOGIC_LOCAL_DATA_DIR", default_value = ".altogic-local")]
    pub data_dir: PathBuf,

    /// Key clients must send as X-Client-Key. Without it, one is created in the data dir and printed.
    #[arg(long, env = "ALTOGIC_LOCAL_CLIENT_KEY", hide_env_values = true)]
    pub client_key: Option<String>,

    /// Where mail links redirect to, with action/status/access_token or error added.
    #[arg(long, env = "ALTOGIC_LOCAL_REDIRECT_URL", default_value = "altogic-auth://auth-redirect")]
    pub redirect_url: String,

    /// Whether sign-up waits for the e-mail to be verified.
    #[arg(long, env = "ALTOGIC_LOCAL_EMAIL_VERIFICATION", default_value_t = true, action = clap::ArgAction::Set)]
    pub email_verification: bool,

    /// Base URL for links in mails and for file publicPath (default http://LISTEN).
    #[arg(long, env = "ALTOGIC_LOCAL_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Send real mail, e.g. smtps://user:pass@smtp.example.com:465 or smtp://localhost:1025.
    #[arg(long, env = "ALTOGIC_LOCAL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// From address of sent mail.
    #[arg(long, env = "ALTOGIC_LOCAL_MAIL_FROM", default_value = "Altogic Auth <no-reply@altogic.local>")]
    pub mail_from: String,

    /// Keep a copy of every mail in the dev mailbox (GET /_local/v1/mail).
    #[arg(long, env = "ALTOGIC_LOCAL_MAILBOX", default_value_t = true, action = clap::ArgAction::Set)]
    pub mailbox: bool,

    /// Lifetime of mailed links, in seconds.
    #[arg(long, env = "ALTOGIC_LOCAL_LINK_TTL", default_value_t = 3600)]
    pub link_ttl_secs: i64,

    /// Lifetime of the access token a link redirect carries, in seconds.
    #[arg(long, env = "ALTOGIC_LOCAL_ACCESS_TOKEN_TTL", default_value_t = 600)]
    pub access_token_ttl_secs: i64,

    /// Lifetime of a session, in days.
    #[arg(long, env = "ALTOGIC_LOCAL_SESSION_TTL_DAYS", default_value_t = 365)]
    pub session_ttl_days: i64,

    /// Largest accepted upload, in bytes.
    #[arg(long, env = "ALTOGIC_LOCAL_MAX_UPLOAD_BYTES", default_value_t = 5 * 1024 * 1024)]
    pub max_upload_bytes: usize,

    /// Sign-in, sign-up and code attempts per client IP per minute (0 = no limit).
    #[arg(long, env = "ALTOGIC_LOCAL_AUTH_RATE_LIMIT", default_value_t = 60)]
    pub auth_rate_limit: u32,

    /// Mails per recipient per hour (0 = no limit).
    #[arg(long, env = "ALTOGIC_LOCAL_MAIL_RATE_LIMIT", default_value_t = 20)]
    pub mail_rate_limit: u32,

    /// Browser origins allowed by CORS, comma separated; `*` echoes any origin.
    #[arg(long, env = "ALTOGIC_LOCAL_CORS_ORIGINS", default_value = "*", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
}

impl Config {
    /// Defaults for embedding (the app, tests): everything as the command line would default it.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let cli = Cli::parse_from(["altogic-local", "serve"]);
        let Command::Serve(mut config) = cli.command;
        config.data_dir = data_dir.into();
        config
    }
}
