//! `altogic.db.model(m).object(id)`: the `get` and `update` calls of altogic-js's `DBObject` (spec §7).

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::client::{Body, Result};
use crate::types::DbObjectRequest;
use crate::AltogicClient;

pub struct Model<'a> {
    pub(crate) client: &'a AltogicClient,
    pub(crate) name: String,
}

impl<'a> Model<'a> {
    pub fn object(&self, id: &str) -> DbObject<'a> {
        DbObject { client: self.client, model: self.name.clone(), id: id.to_string() }
    }
}

pub struct DbObject<'a> {
    client: &'a AltogicClient,
    model: String,
    id: String,
}

impl DbObject<'_> {
    /// `get()`: the object, or `None` when no object has this id.
    pub async fn get<T: DeserializeOwned>(&self) -> Result<Option<T>> {
        let body = DbObjectRequest {
            model: self.model.clone(),
            id: self.id.clone(),
            values: None,
            options: Some(json!({"cache": "nocache"})),
            lookups: None,
        };
        self.client.json(Method::POST, "/_api/rest/v1/db/object/get", &[], Body::Json(&body)).await
    }

    /// `update(values)`: the updated object.
    pub async fn update<T: DeserializeOwned>(&self, values: Map<String, Value>) -> Result<T> {
        let body = DbObjectRequest {
            model: self.model.clone(),
            id: self.id.clone(),
            values: Some(values),
            options: Some(json!({"cache": "nocache", "returnTop": false})),
            lookups: None,
        };
        self.client.json(Method::POST, "/_api/rest/v1/db/object/update", &[], Body::Json(&body)).await
    }
}
