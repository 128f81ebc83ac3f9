//! `/_api/rest/v1/db/object/get|update` on the `users` model: a user reads and changes only their
//! own object, and never the fields the auth flows own.

use altogic::{DbObjectRequest, User};
use axum::extract::State;
use axum::Json;
use serde_json::Value;

use crate::accounts::{extra_too_large, user_to_wire, validate_extra_keys, validate_picture, PROTECTED_FIELDS};
use crate::domain::validate_name;
use crate::error::{codes, AppError, AppResult};
use crate::extract::{ApiJson, AuthSession};
use crate::store::{ProfilePatch, ProfileUpdate};
use crate::AppState;

/// The model must be `users` and the id the caller's own. Another user's id and an unknown id get
/// the same answer, so ids cannot be probed.
fn own_object(auth: &AuthSession, request: &DbObjectRequest) -> AppResult<()> {
    if request.model != "users" {
        return Err(AppError::not_found(codes::MODEL_NOT_FOUND, format!("No model named '{}' is available.", request.model)));
    }
    if request.id != auth.user.id {
        return Err(AppError::permission_denied("You can only access your own user object."));
    }
    Ok(())
}

pub async fn get_object(auth: AuthSession, ApiJson(request): ApiJson<DbObjectRequest>) -> AppResult<Json<User>> {
    own_object(&auth, &request)?;
    Ok(Json(user_to_wire(&auth.user)))
}

pub async fn update_object(State(state): State<AppState>, auth: AuthSession, ApiJson(request): ApiJson<DbObjectRequest>) -> AppResult<Json<User>> {
    own_object(&auth, &request)?;
    let values = request.values.unwrap_or_default();
    if let Some(field) = values.keys().find(|k| PROTECTED_FIELDS.contains(&k.as_str())) {
        return Err(AppError::permission_denied(format!("The field '{field}' cannot be changed through the database API."))
            .with_details(serde_json::json!({ "field": field })));
    }
    let mut patch = ProfilePatch::default();
    for (key, value) in values {
        match (key.as_str(), value) {
            ("name", Value::String(name)) => patch.name = Some(Some(validate_name(&name)?)),
            ("name", Value::Null) => patch.name = Some(None),
            ("name", _) => return Err(AppError::validation("name", "The name must be a string.")),
            ("profilePicture", Value::String(url)) => patch.profile_picture = Some(Some(validate_picture(&url)?)),
            ("profilePicture", Value::Null) => patch.profile_picture = Some(None),
            ("profilePicture", _) => return Err(AppError::validation("profilePicture", "profilePicture must be a URL string.")),
            (_, value) => {
                patch.extra.insert(key, value);
            }
        }
    }
    validate_extra_keys(&patch.extra)?;
    // Only these fields are written, in one transaction that re-checks the session: a request held
    // open across a password reset or an e-mail change cannot write anything back.
    match state.store.update_profile(&auth.session.selector, &auth.user.id, &patch, state.clock.now()).await? {
        ProfileUpdate::Done(user) => Ok(Json(user_to_wire(&user))),
        ProfileUpdate::SessionEnded => Err(AppError::invalid_session()),
        ProfileUpdate::TooLarge => Err(extra_too_large()),
    }
}
