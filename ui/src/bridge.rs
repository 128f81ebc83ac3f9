//! The only place that talks to the browser / Tauri. Native builds get inert stand-ins so the
//! crate compiles and its logic can be tested with plain `cargo test`.

use altogic_auth_ipc::{Command, RedirectView, UiError};

/// Events from the shell, delivered into the Dioxus runtime through a channel.
#[derive(Debug, Clone, PartialEq)]
pub enum ShellEvent {
    /// A mail link arrived; what the UI may know of it.
    AuthRedirect(Option<RedirectView>),
    /// The server ended the session; why, in plain words.
    SignedOut(Option<String>),
}

/// An image ready for `upload_avatar`.
pub struct AvatarBytes {
    pub bytes: Vec<u8>,
    pub mime: String,
}

fn unexpected() -> UiError {
    UiError::new(altogic_auth_ipc::codes::INVALID_RESPONSE, "Unexpected reply from the app.")
}

fn not_in_tauri() -> UiError {
    UiError::new(
        altogic_auth_ipc::codes::BACKEND_UNREACHABLE,
        "This page must run inside the Altogic Auth app.",
    )
}

#[cfg(target_arch = "wasm32")]
mod web {
    use super::*;
    use js_sys::{Function, Promise, Reflect};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
        Reflect::get(obj, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// `window.__TAURI__`, if the page runs inside Tauri (with `withGlobalTauri`).
    pub fn tauri() -> Option<JsValue> {
        get(&js_sys::global(), "__TAURI__")
    }

    fn to_ui_error(e: JsValue) -> UiError {
        if let Ok(err) = serde_wasm_bindgen::from_value::<UiError>(e.clone()) {
            return err;
        }
        if let Some(s) = e.as_string() {
            return UiError::new("error", s);
        }
        if let Some(m) = get(&e, "message").and_then(|m| m.as_string()) {
            return UiError::new("error", m);
        }
        UiError::new("error", "Something went wrong. Please try again.")
    }

    /// `invoke(name, { args })`. Not generic: one copy of the call in the wasm, whatever the command.
    pub async fn invoke_js(name: &str, args: JsValue) -> Result<JsValue, UiError> {
        let core = tauri().and_then(|t| get(&t, "core")).ok_or_else(not_in_tauri)?;
        let invoke: Function = get(&core, "invoke").and_then(|f| f.dyn_into().ok()).ok_or_else(not_in_tauri)?;
        let payload = js_sys::Object::new();
        Reflect::set(&payload, &JsValue::from_str(altogic_auth_ipc::commands::ARGS_KEY), &args).map_err(|_| unexpected())?;
        let promise = invoke.call2(&core, &JsValue::from_str(name), &payload).map_err(to_ui_error)?.dyn_into::<Promise>().map_err(|_| unexpected())?;
        JsFuture::from(promise).await.map_err(to_ui_error)
    }

    pub fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, UiError> {
        value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|_| unexpected())
    }

    pub fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, UiError> {
        serde_wasm_bindgen::from_value(value).map_err(|_| unexpected())
    }

    /// The payload of a Tauri event object.
    pub fn payload<T: serde::de::DeserializeOwned>(event: &JsValue) -> Option<T> {
        get(event, "payload").and_then(|p| serde_wasm_bindgen::from_value(p).ok())
    }

    /// `window.__TAURI__.event.listen(name, cb)`; the callbacks live as long as the page.
    pub fn listen(name: &str, f: impl FnMut(JsValue) + 'static) {
        let Some(event) = tauri().and_then(|t| get(&t, "event")) else { return };
        let Some(listen) = get(&event, "listen").and_then(|f| f.dyn_into::<Function>().ok()) else { return };
        let cb = Closure::<dyn FnMut(JsValue)>::new(f);
        if let Ok(p) = listen.call2(&event, &JsValue::from_str(name), cb.as_ref()) {
            // Swallow a rejected promise instead of an unhandled rejection.
            if let Ok(p) = p.dyn_into::<Promise>() {
                let noop = Closure::<dyn FnMut(JsValue)>::new(|_| {});
                let _ = p.catch(&noop);
                noop.forget();
            }
        }
        cb.forget();
    }

    pub fn locale_date_time(iso: &str) -> String {
        let d = js_sys::Date::new(&JsValue::from_str(iso));
        if d.get_time().is_nan() {
            return crate::logic::iso_date_time_part(iso);
        }
        let f = get(&d, "toLocaleString").and_then(|f| f.dyn_into::<Function>().ok());
        f.and_then(|f| f.call0(&d).ok()).and_then(|s| s.as_string()).unwrap_or_else(|| crate::logic::iso_date_time_part(iso))
    }

    pub fn locale_date(iso: &str) -> String {
        let d = js_sys::Date::new(&JsValue::from_str(iso));
        if d.get_time().is_nan() {
            return crate::logic::iso_date_part(iso);
        }
        let f = get(&d, "toLocaleDateString").and_then(|f| f.dyn_into::<Function>().ok());
        f.and_then(|f| f.call0(&d).ok()).and_then(|s| s.as_string()).unwrap_or_else(|| crate::logic::iso_date_part(iso))
    }

    /// `navigator.clipboard.writeText(text)`; false when the webview refused.
    pub async fn copy_text(text: &str) -> bool {
        let Some(clipboard) = get(&js_sys::global(), "navigator").and_then(|n| get(&n, "clipboard")) else { return false };
        let Some(write) = get(&clipboard, "writeText").and_then(|f| f.dyn_into::<Function>().ok()) else { return false };
        match write.call1(&clipboard, &JsValue::from_str(text)).ok().and_then(|p| p.dyn_into::<Promise>().ok()) {
            Some(p) => JsFuture::from(p).await.is_ok(),
            None => false,
        }
    }

    /// Calls `resolve` after `ms` milliseconds (`setTimeout`), or at once if it cannot be scheduled.
    fn resolve_after(resolve: &Function, ms: i32) {
        let scheduled = web_sys::window().map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(resolve, ms).is_ok());
        if scheduled != Some(true) {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }

    /// Resolves after `ms` milliseconds (`setTimeout`).
    pub async fn sleep_ms(ms: i32) {
        let promise = Promise::new(&mut |resolve: Function, _reject: Function| resolve_after(&resolve, ms));
        let _ = JsFuture::from(promise).await;
    }

    /// Resolves once the page has painted the frame being prepared: the next animation frame, then
    /// a task (the paint happens between the two). A hidden window runs no animation frames: then
    /// after 100 ms at most, so start-up never waits for the window to be shown.
    pub async fn after_paint() {
        let promise = Promise::new(&mut |resolve: Function, _reject: Function| {
            // Resolving twice is harmless: whichever comes first counts.
            resolve_after(&resolve, 100);
            let Some(window) = web_sys::window() else { return };
            let then = Closure::once_into_js(move || resolve_after(&resolve, 0));
            let _ = window.request_animation_frame(then.unchecked_ref());
        });
        let _ = JsFuture::from(promise).await;
    }

    /// What the shell put in the page before it loaded (see `altogic_auth_ipc::LAST_KNOWN_GLOBAL`),
    /// on the webview's first page only. The shell's script is the same for every later load of
    /// the page (a reload, a phone re-creating the page), and by then the state may have changed
    /// (a sign-out, a deletion): a later load waits for `app_state` instead. sessionStorage lives
    /// as long as the webview, so it tells a first load from a later one.
    pub fn last_known() -> Option<altogic_auth_ipc::AppState> {
        const SEEN: &str = "altogic-auth:first-page-seen";
        let storage = get(&js_sys::global(), "sessionStorage")?;
        let call = |name: &str, args: &[&str]| -> Option<JsValue> {
            let f: Function = get(&storage, name)?.dyn_into().ok()?;
            let args: js_sys::Array = args.iter().map(|a| JsValue::from_str(a)).collect();
            f.apply(&storage, &args).ok()
        };
        if call("getItem", &[SEEN]).is_some_and(|v| !v.is_null()) {
            return None;
        }
        call("setItem", &[SEEN, "1"]);
        get(&js_sys::global(), altogic_auth_ipc::LAST_KNOWN_GLOBAL).and_then(|v| serde_wasm_bindgen::from_value(v).ok())
    }

    /// A new screen is shown: its title goes to the document, and focus to its heading, unless the
    /// screen puts it in a field itself (`autofocus`, whose label is read out instead). Without
    /// this, focus stays on the control that left the old screen, or falls to the page's start.
    pub fn screen_changed(title: &str) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        document.set_title(title);
        if document.query_selector("main [autofocus]").ok().flatten().is_some() {
            return;
        }
        if let Some(heading) = document.query_selector("main h1").ok().flatten() {
            let _ = heading.set_attribute("tabindex", "-1");
            if let Ok(heading) = heading.dyn_into::<web_sys::HtmlElement>() {
                let _ = heading.focus();
            }
        }
    }

    /// The element that has the focus now, to give it back later (a dialog that closes), and its
    /// id: the screen may have drawn it anew meanwhile (a button whose busy state changed).
    pub struct Focus(Option<web_sys::HtmlElement>, String);

    pub fn remember_focus() -> Focus {
        let el = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element()).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        let id = el.as_ref().map(|e| e.id()).unwrap_or_default();
        Focus(el, id)
    }

    /// Gives the focus back once the screen has settled (after the closing render), unless
    /// something else took it meanwhile (an error summary saying why nothing was done).
    pub fn restore_focus(focus: &Focus) {
        let (el, id) = (focus.0.clone(), focus.1.clone());
        wasm_bindgen_futures::spawn_local(async move {
            sleep_ms(0).await;
            let document = web_sys::window().and_then(|w| w.document());
            let taken = document.as_ref().and_then(|d| d.active_element()).is_some_and(|a| document.as_ref().and_then(|d| d.body()).is_none_or(|b| !a.is_same_node(Some(&b))));
            if taken {
                return;
            }
            let current = el.filter(|e| e.is_connected()).or_else(|| {
                (!id.is_empty()).then(|| web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(&id))).flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            });
            if let Some(el) = current {
                let _ = el.focus();
            }
        });
    }

    /// Keeps Tab inside the element `id` (a modal dialog): from its last control Tab goes to its
    /// first, and Shift-Tab from its first to its last. True when it moved the focus itself (the
    /// key's own move must then be prevented).
    pub fn wrap_tab(id: &str, backwards: bool) -> bool {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return false };
        let Some(container) = document.get_element_by_id(id) else { return false };
        let Ok(list) = container.query_selector_all("a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex='-1'])") else { return false };
        let items: Vec<web_sys::HtmlElement> = (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok()).collect();
        let (Some(first), Some(last)) = (items.first(), items.last()) else { return false };
        let active = document.active_element();
        let at = |el: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a.is_same_node(Some(el)));
        let inside = active.as_ref().is_some_and(|a| container.contains(Some(a)));
        let target = match (backwards, inside) {
            (false, true) if at(last) => first,
            (true, true) if at(first) => last,
            (_, true) => return false,
            (false, false) => first,
            (true, false) => last,
        };
        let _ = target.focus();
        true
    }

    pub fn focus(id: &str) {
        if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id)) {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    }

    /// Takes the file chosen in `<input type=file id=input_id>` (and clears the input), checks it,
    /// scales it to at most 512 px and re-encodes it. `Ok(None)` when nothing was chosen.
    pub async fn read_avatar(input_id: &str) -> Result<Option<AvatarBytes>, String> {
        let doc = web_sys::window().and_then(|w| w.document()).ok_or("No document")?;
        let input: web_sys::HtmlInputElement = doc
            .get_element_by_id(input_id)
            .and_then(|e| e.dyn_into().ok())
            .ok_or("No file input")?;
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return Ok(None) };
        input.set_value("");
        let mime = file.type_();
        altogic_auth_ipc::avatar::check(&mime, file.size() as usize).map_err(|e| e.to_string())?;
        let original = blob_bytes(&file).await.map_err(|_| "Couldn't read that file.".to_string())?;
        match scale(&file, &mime).await {
            Ok(Some(scaled)) => Ok(Some(scaled)),
            // Small enough already (keeps animated GIFs), or the webview can't decode it: send as is.
            Ok(None) | Err(_) => Ok(Some(AvatarBytes { bytes: original, mime })),
        }
    }

    async fn blob_bytes(blob: &web_sys::Blob) -> Result<Vec<u8>, JsValue> {
        let buf = JsFuture::from(blob.array_buffer()).await?;
        Ok(js_sys::Uint8Array::new(&buf).to_vec())
    }

    async fn scale(file: &web_sys::File, mime: &str) -> Result<Option<AvatarBytes>, JsValue> {
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        let bitmap: web_sys::ImageBitmap =
            JsFuture::from(window.create_image_bitmap_with_blob(file)?).await?.dyn_into()?;
        let (w, h) = (bitmap.width(), bitmap.height());
        let (tw, th) = crate::logic::scaled_size(w, h, altogic_auth_ipc::avatar::MAX_SIDE);
        if (tw, th) == (w, h) {
            bitmap.close();
            return Ok(None);
        }
        let doc = window.document().ok_or(JsValue::NULL)?;
        let canvas: web_sys::HtmlCanvasElement = doc.create_element("canvas")?.dyn_into()?;
        canvas.set_width(tw);
        canvas.set_height(th);
        let ctx: web_sys::CanvasRenderingContext2d =
            canvas.get_context("2d")?.ok_or(JsValue::NULL)?.dyn_into()?;
        ctx.set_image_smoothing_enabled(true);
        ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, tw as f64, th as f64)?;
        bitmap.close();
        let target = crate::logic::reencode_type(mime);
        let canvas2 = canvas.clone();
        let target2 = target.to_string();
        let promise = Promise::new(&mut move |resolve, reject| {
            let cb = Closure::once_into_js(move |blob: JsValue| {
                if blob.is_null() {
                    let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("toBlob failed"));
                } else {
                    let _ = resolve.call1(&JsValue::NULL, &blob);
                }
            });
            let _ = canvas2.to_blob_with_type_and_encoder_options(cb.unchecked_ref(), &target2, &JsValue::from_f64(0.9));
        });
        let blob: web_sys::Blob = JsFuture::from(promise).await?.dyn_into()?;
        let out_mime = if blob.type_().is_empty() { target.to_string() } else { blob.type_() };
        Ok(Some(AvatarBytes { bytes: blob_bytes(&blob).await?, mime: out_mime }))
    }
}

#[cfg(target_arch = "wasm32")]
pub use web::{after_paint, copy_text, focus, last_known, locale_date, locale_date_time, read_avatar, remember_focus, restore_focus, screen_changed, sleep_ms, wrap_tab, Focus};

/// True when the page runs inside the Tauri shell.
pub fn in_tauri() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        web::tauri().is_some()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        false
    }
}

/// Invokes command `C` of the shell.
/// A command's arguments or answer as the webview holds it (a JS value; nothing natively).
#[cfg(target_arch = "wasm32")]
pub type Js = wasm_bindgen::JsValue;
#[cfg(not(target_arch = "wasm32"))]
pub type Js = ();

#[cfg(target_arch = "wasm32")]
pub use web::{from_js, invoke_js, to_js};

#[cfg(not(target_arch = "wasm32"))]
pub async fn invoke_js(_name: &str, _args: Js) -> Result<Js, UiError> {
    Err(not_in_tauri())
}

#[cfg(not(target_arch = "wasm32"))]
pub fn to_js<T: serde::Serialize>(_value: &T) -> Result<Js, UiError> {
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
pub fn from_js<T: serde::de::DeserializeOwned>(_value: Js) -> Result<T, UiError> {
    Err(unexpected())
}

/// Invokes command `C` of the shell: only the conversions are per command.
pub async fn invoke<C: Command>(args: &C::Args) -> Result<C::Output, UiError> {
    from_js(invoke_js(C::NAME, to_js(args)?).await?)
}

/// Subscribes to the shell's events; each one is handed to `sink`.
pub fn listen_shell_events(sink: impl Fn(ShellEvent) + Clone + 'static) {
    #[cfg(target_arch = "wasm32")]
    {
        use altogic_auth_ipc::event;
        let s = sink.clone();
        web::listen(event::AUTH_REDIRECT, move |e| s(ShellEvent::AuthRedirect(web::payload(&e))));
        web::listen(event::SIGNED_OUT, move |e| sink(ShellEvent::SignedOut(web::payload(&e))));
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = sink;
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub fn locale_date_time(iso: &str) -> String {
    crate::logic::iso_date_time_part(iso)
}

#[cfg(not(target_arch = "wasm32"))]
pub fn locale_date(iso: &str) -> String {
    crate::logic::iso_date_part(iso)
}

#[cfg(not(target_arch = "wasm32"))]
pub fn focus(_id: &str) {}

#[cfg(not(target_arch = "wasm32"))]
pub fn screen_changed(_title: &str) {}

#[cfg(not(target_arch = "wasm32"))]
pub struct Focus;

#[cfg(not(target_arch = "wasm32"))]
pub fn remember_focus() -> Focus {
    Focus
}

#[cfg(not(target_arch = "wasm32"))]
pub fn restore_focus(_focus: &Focus) {}

#[cfg(not(target_arch = "wasm32"))]
pub fn wrap_tab(_id: &str, _backwards: bool) -> bool {
    false
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn sleep_ms(_ms: i32) {}

#[cfg(not(target_arch = "wasm32"))]
pub async fn after_paint() {}

#[cfg(not(target_arch = "wasm32"))]
pub fn last_known() -> Option<altogic_auth_ipc::AppState> {
    None
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn copy_text(_text: &str) -> bool {
    false
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn read_avatar(_input_id: &str) -> Result<Option<AvatarBytes>, String> {
    Err("File upload needs the browser.".into())
}
