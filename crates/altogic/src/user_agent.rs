//! The User-Agent the client sends, so that session lists can name the device a session belongs to.
//! Format (parsed by altogic-local): `AltogicAuth/0.1.0 (Linux; x86_64; Device "my-laptop")`.

/// The OS name as session lists show it (the family names of the npm `useragent` package).
pub fn os_family() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "windows" => "Windows",
        "macos" => "Mac OS X",
        "android" => "Android",
        "ios" => "iOS",
        "freebsd" => "FreeBSD",
        _ => "Other",
    }
}

/// This machine's name, or the platform's name where there is no meaningful hostname (phones
/// answer "localhost"); quotes and control characters are removed so the header stays parseable.
pub fn device_name() -> String {
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    let clean: String = host.chars().filter(|c| !c.is_control() && *c != '"' && *c != '\\').take(64).collect();
    if clean.is_empty() || clean == "localhost" {
        match std::env::consts::OS {
            "android" => "Android device".into(),
            "ios" => "iPhone".into(),
            _ => "Computer".into(),
        }
    } else {
        clean
    }
}

pub fn build(app_name: &str, app_version: &str, device: &str) -> String {
    let device: String = device.chars().filter(|c| !c.is_control() && *c != '"' && *c != '\\').collect();
    format!("{app_name}/{app_version} ({}; {}; Device \"{device}\")", os_family(), std::env::consts::ARCH)
}

/// The default: this crate's name and version on this machine.
pub fn default_user_agent() -> String {
    build("AltogicRust", env!("CARGO_PKG_VERSION"), &device_name())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_app_os_and_device() {
        let ua = super::build("AltogicAuth", "1.2.3", "Ann's \"laptop\"");
        assert!(ua.starts_with("AltogicAuth/1.2.3 ("));
        assert!(ua.contains(super::os_family()));
        assert!(ua.ends_with("Device \"Ann's laptop\")"), "{ua}");
    }
}
