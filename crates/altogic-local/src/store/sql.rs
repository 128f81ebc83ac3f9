//! One SQL statement, run on whichever database the store has: the only place where SQLite and
//! PostgreSQL are told apart.
//!
//! A statement is written once, with `?` placeholders (`?N` to repeat the N-th) and a few
//! `{markers}` for what the two databases spell differently. Its values are collected as [`Arg`]s
//! and bound when it runs, in the database's own argument type; its rows decode with the
//! database's own driver, so nothing is converted through an intermediate value (as sqlx's `Any`
//! driver would do for every row).
//!
//! ```ignore
//! let user: Option<UserRow> = sql("SELECT * FROM users WHERE email = ?").bind(email).fetch_optional(&mut tx).await?;
//! ```

use serde_json::{Map, Value};
use sqlx::postgres::{PgArguments, PgConnection, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqliteRow};
use sqlx::types::Json;
use sqlx::{Arguments, Database, Encode, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Type};

use super::{postgres, sqlite, StoreResult};

/// A statement and the values bound to it so far.
#[must_use = "a statement does nothing until it runs"]
pub struct Sql<'a> {
    text: &'static str,
    args: Vec<Arg<'a>>,
}

/// Starts a statement (see the module docs for its spelling).
pub fn sql<'a>(text: &'static str) -> Sql<'a> {
    Sql { text, args: Vec::new() }
}

/// A value bound to a statement: the column types the schema uses.
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    /// `None` is SQL NULL.
    Text(Option<&'a str>),
    Int(i64),
    Bool(bool),
    Bytes(&'a [u8]),
    /// Stored as JSON (a `users.extra`-style object).
    Object(&'a Map<String, Value>),
    /// Stored as a JSON array of strings (file tags).
    Strings(&'a [String]),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(v))
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Some(v))
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::Text(v)
    }
}
impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Arg::Text(v.as_deref())
    }
}
impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl<'a> From<&'a Vec<u8>> for Arg<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}
impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Bytes(v)
    }
}
impl<'a> From<&'a Map<String, Value>> for Arg<'a> {
    fn from(v: &'a Map<String, Value>) -> Self {
        Arg::Object(v)
    }
}
impl<'a> From<&'a Vec<String>> for Arg<'a> {
    fn from(v: &'a Vec<String>) -> Self {
        Arg::Strings(v)
    }
}

/// A row type both drivers decode (every `sqlx::FromRow` of `rows.rs`, and tuples of scalars).
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A write transaction on either database. Dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Pg(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Pg(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// Where a statement runs: in a transaction, or on a pool (one connection for that statement).
pub enum On<'c> {
    Sqlite(&'c mut SqliteConnection),
    Pg(&'c mut PgConnection),
    SqlitePool(&'c SqlitePool),
    PgPool(&'c PgPool),
}

impl<'c> From<&'c mut Tx> for On<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        match tx {
            Tx::Sqlite(tx) => On::Sqlite(tx),
            Tx::Pg(tx) => On::Pg(tx),
        }
    }
}

/// A pooled connection held for one statement.
enum Held {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Pg(sqlx::pool::PoolConnection<Postgres>),
}

/// A connection of one database or the other.
enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Pg(&'c mut PgConnection),
}

impl<'c> On<'c> {
    /// The connection to run on; a pool's is acquired into `held` and goes back when it drops.
    async fn conn<'h>(self, held: &'h mut Option<Held>) -> StoreResult<Conn<'h>>
    where
        'c: 'h,
    {
        Ok(match self {
            On::Sqlite(c) => Conn::Sqlite(c),
            On::Pg(c) => Conn::Pg(c),
            On::SqlitePool(pool) => match held.insert(Held::Sqlite(pool.acquire().await?)) {
                Held::Sqlite(c) => Conn::Sqlite(c),
                Held::Pg(_) => unreachable!("just stored"),
            },
            On::PgPool(pool) => match held.insert(Held::Pg(pool.acquire().await?)) {
                Held::Pg(c) => Conn::Pg(c),
                Held::Sqlite(_) => unreachable!("just stored"),
            },
        })
    }
}

impl<'a> Sql<'a> {
    pub fn bind(mut self, value: impl Into<Arg<'a>>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Runs the statement; the number of rows it changed.
    pub async fn execute(self, on: impl Into<On<'_>>) -> StoreResult<u64> {
        let mut held = None;
        Ok(match on.into().conn(&mut held).await? {
            Conn::Sqlite(c) => sqlx::query_with(&sqlite::spell(self.text), self.sqlite_args()?).execute(c).await?.rows_affected(),
            Conn::Pg(c) => sqlx::query_with(&postgres::spell(self.text), self.pg_args()?).execute(c).await?.rows_affected(),
        })
    }

    pub async fn fetch_optional<T: Row>(self, on: impl Into<On<'_>>) -> StoreResult<Option<T>> {
        let mut held = None;
        Ok(match on.into().conn(&mut held).await? {
            Conn::Sqlite(c) => sqlx::query_as_with(&sqlite::spell(self.text), self.sqlite_args()?).fetch_optional(c).await?,
            Conn::Pg(c) => sqlx::query_as_with(&postgres::spell(self.text), self.pg_args()?).fetch_optional(c).await?,
        })
    }

    pub async fn fetch_one<T: Row>(self, on: impl Into<On<'_>>) -> StoreResult<T> {
        let mut held = None;
        Ok(match on.into().conn(&mut held).await? {
            Conn::Sqlite(c) => sqlx::query_as_with(&sqlite::spell(self.text), self.sqlite_args()?).fetch_one(c).await?,
            Conn::Pg(c) => sqlx::query_as_with(&postgres::spell(self.text), self.pg_args()?).fetch_one(c).await?,
        })
    }

    pub async fn fetch_all<T: Row>(self, on: impl Into<On<'_>>) -> StoreResult<Vec<T>> {
        let mut held = None;
        Ok(match on.into().conn(&mut held).await? {
            Conn::Sqlite(c) => sqlx::query_as_with(&sqlite::spell(self.text), self.sqlite_args()?).fetch_all(c).await?,
            Conn::Pg(c) => sqlx::query_as_with(&postgres::spell(self.text), self.pg_args()?).fetch_all(c).await?,
        })
    }

    /// The first column of the row, if there is one.
    pub async fn scalar<T>(self, on: impl Into<On<'_>>) -> StoreResult<Option<T>>
    where
        (T,): Row,
    {
        Ok(self.fetch_optional::<(T,)>(on).await?.map(|(v,)| v))
    }

    /// The first column of every row.
    pub async fn scalars<T>(self, on: impl Into<On<'_>>) -> StoreResult<Vec<T>>
    where
        (T,): Row,
    {
        Ok(self.fetch_all::<(T,)>(on).await?.into_iter().map(|(v,)| v).collect())
    }

    /// Whether the statement finds a row.
    pub async fn exists(self, on: impl Into<On<'_>>) -> StoreResult<bool> {
        Ok(self.scalar::<bool>(on).await?.is_some())
    }

    fn sqlite_args(&self) -> StoreResult<SqliteArguments<'a>> {
        bind_all::<Sqlite>(&self.args)
    }

    fn pg_args(&self) -> StoreResult<PgArguments> {
        bind_all::<Postgres>(&self.args)
    }
}

/// The values in the database's own argument type. The one place that names the encodings both
/// databases must have; every caller is concrete.
fn bind_all<'a, DB: Database>(args: &[Arg<'a>]) -> StoreResult<DB::Arguments<'a>>
where
    Option<&'a str>: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    bool: Encode<'a, DB> + Type<DB>,
    &'a [u8]: Encode<'a, DB> + Type<DB>,
    Json<&'a Map<String, Value>>: Encode<'a, DB> + Type<DB>,
    Json<&'a [String]>: Encode<'a, DB> + Type<DB>,
{
    let mut out = DB::Arguments::<'a>::default();
    for arg in args {
        match *arg {
            Arg::Text(v) => out.add(v),
            Arg::Int(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Bytes(v) => out.add(v),
            Arg::Object(v) => out.add(Json(v)),
            Arg::Strings(v) => out.add(Json(v)),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}
