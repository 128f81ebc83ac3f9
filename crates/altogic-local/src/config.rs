//! Settings, from the command line or `ALTOGIC_LOCAL_*` environment variables. The app embeds the
//! server by building a [`Config`] directly.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "altogic-local", version, about = "An Altogic-compatible backend on SQLite or PostgreSQL, with a dev mailbox")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// How log lines are written: `text` for people, `json` (one object a line, with the
    /// request's id) for a log collector.
    #[arg(long, global = true, env = "ALTOGIC_LOCAL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve(Config),
    /// Apply the database migrations and exit (PostgreSQL instances do not migrate on start, so
    /// several of them never race; SQLite migrates on start too).
    Migrate(Config),
    /// Take a consistent snapshot of a SQLite deployment, while its server keeps serving, into one
    /// file (0600): the database, its stored files and the data dir's secrets.
    Backup(BackupArgs),
    /// Make a new data dir from a backup; a server started on it serves what the snapshot held.
    Restore(RestoreArgs),
    /// Move a SQLite deployment (stopped) onto PostgreSQL, and its files onto an object store, in
    /// one transaction. Refuses a database that already holds accounts.
    Copy(CopyArgs),
}

#[derive(Args, Debug, Clone)]
pub struct BackupArgs {
    /// The data dir of the deployment to back up.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The backup file to write (replaced atomically: a crash leaves no partial file).
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct RestoreArgs {
    /// A file made by `altogic-local backup`.
    #[arg(long)]
    pub from: PathBuf,
    /// The data dir to create (it must not exist, or be empty).
    #[arg(long)]
    pub data_dir: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct CopyArgs {
    /// The data dir of the SQLite deployment (its server stopped).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The PostgreSQL database to move to (migrated if needed; it must hold no accounts). The
    /// variable keeps its password out of the process list.
    #[arg(long, env = "ALTOGIC_LOCAL_TO_DATABASE_URL", hide_env_values = true)]
    pub to_database_url: String,
    /// Where the files' bytes go: file:///dir or s3://bucket (AWS_* variables). Default: DATA_DIR/files,
    /// where a PostgreSQL server started with this data dir looks for them.
    #[arg(long)]
    pub to_storage_url: Option<String>,
    /// Waits this long before committing (tests interrupt a copy here).
    #[arg(long, hide = true, default_value_t = 0)]
    pub pause_before_commit_ms: u64,
}

#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ALTOGIC_LOCAL_LISTEN", default_value = "127.0.0.1:7171")]
    pub listen: SocketAddr,

    /// Folder for the SQLite database, generated keys and local files (created if missing).
    #[arg(long, env = "ALTOGIC_LOCAL_DATA_DIR", default_value = ".altogic-local")]
    pub data_dir: PathBuf,

    /// PostgreSQL instead of SQLite, e.g. postgres://user:pass@host/db. Several instances on one
    /// database behave as one server.
    #[arg(long, env = "ALTOGIC_LOCAL_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where uploaded files' bytes go: file:///dir, or s3://bucket (with AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT, AWS_ALLOW_HTTP). Default: in the SQLite
    /// database, or DATA_DIR/files with PostgreSQL.
    #[arg(long, env = "ALTOGIC_LOCAL_STORAGE_URL")]
    pub storage_url: Option<String>,

    /// Connections in the PostgreSQL pool of this instance.
    #[arg(long, env = "ALTOGIC_LOCAL_DATABASE_POOL", default_value_t = 16)]
    pub database_pool: u32,

    /// Key clients must send as X-Client-Key. Without it (or --client-key-file), one is created in
    /// the data dir and printed. It ships inside apps: it is not a secret.
    #[arg(long, env = "ALTOGIC_LOCAL_CLIENT_KEY", hide_env_values = true, conflicts_with = "client_key_file")]
    pub client_key: Option<String>,

    /// Read the client key from this file (kept out of the process list and the environment).
    #[arg(long, env = "ALTOGIC_LOCAL_CLIENT_KEY_FILE")]
    pub client_key_file: Option<PathBuf>,

    /// Where mail links redirect to, with action/status/access_token or error added.
    #[arg(long, env = "ALTOGIC_LOCAL_REDIRECT_URL", default_value = "altogic-auth://auth-redirect")]
    pub redirect_url: String,

    /// Whether sign-up waits for the e-mail to be verified.
    #[arg(long, env = "ALTOGIC_LOCAL_EMAIL_VERIFICATION", default_value_t = true, action = clap::ArgAction::Set)]
    pub email_verification: bool,

    /// Base URL for links in mails and for file publicPath (default http://LISTEN).
    #[arg(long, env = "ALTOGIC_LOCAL_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Send real mail, e.g. smtps://user:pass@smtp.example.com:465, or
    /// smtp://smtp.example.com:587?tls=required (STARTTLS). Plain smtp:// only to this machine
    /// (smtp://localhost:1025), unless --smtp-insecure.
    #[arg(long, env = "ALTOGIC_LOCAL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Allows --smtp-url to send mail (sign-in links, codes, a password) to another machine
    /// without TLS.
    #[arg(long, env = "ALTOGIC_LOCAL_SMTP_INSECURE")]
    pub smtp_insecure: bool,

    /// From address of sent mail.
    #[arg(long, env = "ALTOGIC_LOCAL_MAIL_FROM", default_value = "Altogic Auth <no-reply@altogic.local>")]
    pub mail_from: String,

    /// Keep a copy of every mail in the dev mailbox (GET /_local/v1/mail with the mailbox token).
    /// Default: on without --smtp-url, off with it. Off, no link or code is stored in plaintext.
    #[arg(long, env = "ALTOGIC_LOCAL_MAILBOX", action = clap::ArgAction::Set)]
    pub mailbox: Option<bool>,

    /// Bearer token that reads and clears the dev mailbox, at least 32 characters. Without it (or
    /// --mailbox-token-file), one is created in the data dir's `mailbox-token` file. Never the
    /// client key: that one ships inside apps. Never printed.
    #[arg(long, env = "ALTOGIC_LOCAL_MAILBOX_TOKEN", hide_env_values = true)]
    pub mailbox_token: Option<String>,

    /// A file whose first line is the mailbox token (a container secret, say), at least 32
    /// characters.
    #[arg(long, env = "ALTOGIC_LOCAL_MAILBOX_TOKEN_FILE", conflicts_with = "mailbox_token")]
    pub mailbox_token_file: Option<PathBuf>,

    /// The secret that seals authenticator secrets in the database, at least 32 characters. Every
    /// instance of one database needs the same one. Without it (or --mfa-key-file), one is
    /// created in the data dir's `mfa-key` file; it is never kept in the database, so a dump of
    /// the database alone does not give authenticator secrets away. Never printed.
    #[arg(long, env = "ALTOGIC_LOCAL_MFA_KEY", hide_env_values = true)]
    pub mfa_key: Option<String>,

    /// A file whose first line is the --mfa-key (a container secret, say).
    #[arg(long, env = "ALTOGIC_LOCAL_MFA_KEY_FILE", conflicts_with = "mfa_key")]
    pub mfa_key_file: Option<PathBuf>,

    /// The issuer authenticator apps show next to the account (in the `otpauth://` URI).
    #[arg(long, env = "ALTOGIC_LOCAL_MFA_ISSUER", default_value = "Altogic Auth")]
    pub mfa_issuer: String,

    /// How recently a session must have authenticated (signed in, or POST /auth/reauthenticate)
    /// for the calls that need it: turning two-step verification off, new recovery codes, and,
    /// with two-step verification on, password and e-mail changes. Seconds.
    #[arg(long, env = "ALTOGIC_LOCAL_REAUTH_WINDOW_SECS", default_value_t = 300)]
    pub reauth_window_secs: i64,

    /// Lifetime of mailed links, in seconds.
    #[arg(long, env = "ALTOGIC_LOCAL_LINK_TTL", default_value_t = 3600)]
    pub link_ttl_secs: i64,

    /// Lifetime of the access token a link redirect carries, in seconds.
    #[arg(long, env = "ALTOGIC_LOCAL_ACCESS_TOKEN_TTL", default_value_t = 600)]
    pub access_token_ttl_secs: i64,

    /// A session ends after this many days without use (contract §3).
    #[arg(long, env = "ALTOGIC_LOCAL_SESSION_IDLE_DAYS", default_value_t = altogic::account_security::SESSION_IDLE_DAYS, value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub session_idle_days: i64,

    /// A session ends this many days after it was made, whatever its use (contract §3).
    #[arg(long, env = "ALTOGIC_LOCAL_SESSION_MAX_DAYS", default_value_t = altogic::account_security::SESSION_MAX_DAYS, value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub session_max_days: i64,

    /// The lowest zxcvbn score (0-4) a new password may have (contract §4).
    #[arg(long, env = "ALTOGIC_LOCAL_MIN_PASSWORD_SCORE", default_value_t = altogic::account_security::MIN_PASSWORD_SCORE, value_parser = clap::value_parser!(u8).range(0..=4))]
    pub min_password_score: u8,

    /// Bearer token of `GET /_local/v1/metrics` (Prometheus); without it the endpoint is off (404).
    #[arg(long, env = "ALTOGIC_LOCAL_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Largest accepted upload, in bytes.
    #[arg(long, env = "ALTOGIC_LOCAL_MAX_UPLOAD_BYTES", default_value_t = 5 * 1024 * 1024)]
    pub max_upload_bytes: usize,

    /// Sign-in, sign-up and code attempts per client IP per minute (0 = no limit).
    #[arg(long, env = "ALTOGIC_LOCAL_AUTH_RATE_LIMIT", default_value_t = 60)]
    pub auth_rate_limit: u32,

    /// Mails per recipient per hour, whoever asks (0 = no limit).
    #[arg(long, env = "ALTOGIC_LOCAL_MAIL_RATE_LIMIT", default_value_t = 20)]
    pub mail_rate_limit: u32,

    /// Mails one client network may request to one recipient per hour (0 = no limit). Lower than
    /// --mail-rate-limit, so one anonymous caller cannot use up an owner's mail.
    #[arg(long, env = "ALTOGIC_LOCAL_MAIL_RATE_LIMIT_PER_CLIENT", default_value_t = 5)]
    pub mail_rate_limit_per_client: u32,

    /// Password sign-in attempts per account per 15 minutes from one client network, or from one
    /// device that signed in before (0 = no limit). A successful sign-in resets that count. Past
    /// this many failures from anywhere, attempts from unknown devices are slowed (up to 3 s).
    #[arg(long, env = "ALTOGIC_LOCAL_SIGNIN_ATTEMPTS", default_value_t = 10)]
    pub signin_attempts: u32,

    /// Code guesses per address per day (0 = no limit); each mail's code also stops working after
    /// 5 wrong guesses. With 6-digit codes, 30 a day is a 1-in-33,000 chance per address per day.
    #[arg(long, env = "ALTOGIC_LOCAL_CODE_ATTEMPTS", default_value_t = 30)]
    pub code_attempts: u32,

    /// Trusted reverse proxies (IPs or CIDRs, comma separated): only requests from these have their
    /// X-Forwarded-For read for the client address. Empty (default) trusts no one.
    #[arg(long, env = "ALTOGIC_LOCAL_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::net::IpNet::parse)]
    pub trusted_proxies: Vec<crate::net::IpNet>,

    /// Bytes of files one user may store.
    #[arg(long, env = "ALTOGIC_LOCAL_UPLOAD_QUOTA_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub upload_quota_bytes: u64,

    /// Files one user may store.
    #[arg(long, env = "ALTOGIC_LOCAL_FILES_PER_USER", default_value_t = 100)]
    pub files_per_user: u32,

    /// Uploads per user per hour (0 = no limit).
    #[arg(long, env = "ALTOGIC_LOCAL_UPLOADS_PER_HOUR", default_value_t = 60)]
    pub uploads_per_hour: u32,

    /// Seconds a password hash may have to wait for a core: a sign-in or sign-up that would wait
    /// longer (the hashes queued ahead of it, at the recent time of one hash) is answered 503 with
    /// Retry-After at once. Load is shed by the time it would cost, not by a count.
    #[arg(long, env = "ALTOGIC_LOCAL_MAX_HASH_WAIT", default_value_t = 5.0)]
    pub max_hash_wait: f64,

    /// Password hashes that may wait for a core at most, whatever their time: a bound on memory.
    #[arg(long, env = "ALTOGIC_LOCAL_HASH_QUEUE", default_value_t = 4096)]
    pub hash_queue: usize,

    /// Seconds a client has to send a request's head (slow heads are cut off).
    #[arg(long, env = "ALTOGIC_LOCAL_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a request may take from its head to its answer, body upload included.
    #[arg(long, env = "ALTOGIC_LOCAL_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Seconds a kept-alive connection may sit idle between requests.
    #[arg(long, env = "ALTOGIC_LOCAL_IDLE_TIMEOUT", default_value_t = 60)]
    pub idle_timeout_secs: u64,

    /// Open connections at most; further clients wait in the listen backlog.
    #[arg(long, env = "ALTOGIC_LOCAL_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Open connections one client network may hold (0 = no cap; trusted proxies are exempt),
    /// and never more than an eighth of --max-connections (128 by default).
    #[arg(long, env = "ALTOGIC_LOCAL_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 256)]
    pub max_connections_per_client: usize,

    /// Days a pending sign-up (and an unverified account) is kept before it is purged.
    #[arg(long, env = "ALTOGIC_LOCAL_UNVERIFIED_TTL_DAYS", default_value_t = 7)]
    pub unverified_ttl_days: i64,

    /// Days the dev mailbox keeps a mail.
    #[arg(long, env = "ALTOGIC_LOCAL_MAIL_TTL_DAYS", default_value_t = 7)]
    pub mail_ttl_days: i64,

    /// Browser origins allowed by CORS, comma separated; `*` echoes any origin.
    #[arg(long, env = "ALTOGIC_LOCAL_CORS_ORIGINS", default_value = "*", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Android App Links: the app's package name, served in /.well-known/assetlinks.json.
    #[arg(long, env = "ALTOGIC_LOCAL_ANDROID_PACKAGE", requires = "android_cert_sha256")]
    pub android_package: Option<String>,

    /// SHA-256 fingerprints (AA:BB:…, 32 bytes) of the certificates that sign the Android app,
    /// comma separated: only an app signed by one of them opens the links.
    #[arg(long, env = "ALTOGIC_LOCAL_ANDROID_CERT_SHA256", value_delimiter = ',', value_parser = parse_cert_fingerprint)]
    pub android_cert_sha256: Vec<String>,

    /// iOS Universal Links: TEAMID.bundle-id of the app(s), comma separated, served in
    /// /.well-known/apple-app-site-association.
    #[arg(long, env = "ALTOGIC_LOCAL_APPLE_APP_ID", value_delimiter = ',', value_parser = parse_apple_app_id)]
    pub apple_app_id: Vec<String>,
}

/// The page altogic-local serves for mail links opened where the app is not installed: a redirect
/// URL of `https://HOST/auth-redirect` is this page, and the path the phones' App Links claim.
pub const REDIRECT_PAGE_PATH: &str = "/auth-redirect";

/// `AA:BB:…`: 32 hex bytes, upper-cased as Android writes them.
fn parse_cert_fingerprint(v: &str) -> Result<String, String> {
    let v = v.trim().to_ascii_uppercase();
    let bytes: Vec<&str> = v.split(':').collect();
    if bytes.len() == 32 && bytes.iter().all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit())) {
        Ok(v)
    } else {
        Err("expected a SHA-256 fingerprint: 32 hex bytes separated by colons (keytool -list -v prints it)".into())
    }
}

/// `TEAMID.bundle.id`: a 10-character team id, a dot, a bundle id.
fn parse_apple_app_id(v: &str) -> Result<String, String> {
    let v = v.trim();
    match v.split_once('.') {
        Some((team, bundle)) if team.len() == 10 && team.chars().all(|c| c.is_ascii_alphanumeric()) && !bundle.is_empty() && bundle.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') => Ok(v.to_string()),
        _ => Err("expected TEAMID.bundle-id, e.g. ABCDE12345.com.altogic.auth".into()),
    }
}

impl Config {
    /// Whether the dev mailbox is on: as set, else on unless real mail is sent.
    pub fn mailbox_on(&self) -> bool {
        self.mailbox.unwrap_or(self.smtp_url.is_none())
    }

    /// Whether mail links lead to this server's own redirect page (an https App Link on phones),
    /// rather than straight to an app's custom scheme.
    /// Only https (or plain http on this machine) carries the code: it must not cross a network
    /// in the clear.
    pub fn redirects_to_page(&self) -> bool {
        url::Url::parse(&self.redirect_url).is_ok_and(|u| private_transport(&u) && u.path().trim_end_matches('/') == REDIRECT_PAGE_PATH)
    }

    /// Whether mailed links may carry the mail's code: the page they lead to shows it, and the
    /// link itself travels to this server, so both must be https (or plain http on this machine).
    pub fn codes_in_links(&self, public_url: &str) -> bool {
        self.redirects_to_page() && url::Url::parse(public_url).is_ok_and(|u| private_transport(&u))
    }

    /// For embedding on this machine (the app, tests): the defaults, on 127.0.0.1 with a free port,
    /// with links and files under its own URL, the database in `data_dir` and mail kept in the dev
    /// mailbox.
    pub fn loopback(data_dir: impl Into<PathBuf>) -> Self {
        let mut config = Self::new(data_dir);
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.public_url = None;
        config.database_url = None;
        config.storage_url = None;
        config.smtp_url = None;
        config.mailbox = Some(true);
        config
    }

    /// Defaults for embedding (the app, tests): everything as the command line would default it,
    /// and never the `ALTOGIC_LOCAL_*` environment (a variable meant for a server must not change,
    /// or stop, an app that embeds one).
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let defaults = Cli::command().mut_subcommand("serve", |serve| serve.mut_args(|arg| arg.env(None::<&'static str>)));
        let matches = defaults.get_matches_from(["altogic-local", "serve"]);
        let cli = Cli::from_arg_matches(&matches).expect("the defaults parse");
        let Command::Serve(mut config) = cli.command else { unreachable!("parsed as serve") };
        config.data_dir = data_dir.into();
        config
    }
}

/// https, or plain http that never leaves this machine: what may carry a secret.
pub fn private_transport(url: &url::Url) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && is_loopback_host(url))
}

/// A host on this machine. (An `smtp://` URL's IPv4 host is not parsed as an address: it comes as
/// a domain.)
pub fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
