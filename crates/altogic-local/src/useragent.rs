//! Turns a User-Agent header into the `useragent`-package shape sessions carry, so the app can
//! say "Chrome on Mac OS X" or "AltogicAuth on Ann's laptop". Small on purpose: the app's own
//! format, the major browsers and the major systems.

use altogic::{UaPart, UserAgent};

fn version_parts(v: &str) -> (String, String, String) {
    let mut it = v.split(['.', '_']).map(|p| p.chars().take_while(|c| c.is_ascii_digit()).collect::<String>());
    let mut next = || it.next().filter(|s| !s.is_empty()).unwrap_or_else(|| "0".into());
    (next(), next(), next())
}

fn part(family: &str, version: &str) -> UaPart {
    let (major, minor, patch) = version_parts(version);
    UaPart { family: family.into(), major, minor, patch }
}

/// The version after `token` (e.g. `Chrome/` → `120.0.1`).
fn after<'a>(ua: &'a str, token: &str) -> Option<&'a str> {
    let start = ua.find(token)? + token.len();
    let rest = &ua[start..];
    Some(&rest[..rest.find([' ', ';', ')']).unwrap_or(rest.len())])
}

fn os_of(ua: &str) -> UaPart {
    if let Some(v) = after(ua, "Windows NT ") {
        let name = match v {
            "10.0" => "10",
            "6.3" => "8.1",
            "6.1" => "7",
            _ => "0",
        };
        return part("Windows", name);
    }
    if let Some(v) = after(ua, "iPhone OS ").or_else(|| after(ua, "CPU OS ")) {
        return part("iOS", v);
    }
    if let Some(v) = after(ua, "Mac OS X ") {
        return part("Mac OS X", v);
    }
    if let Some(v) = after(ua, "Android ") {
        return part("Android", v);
    }
    for (needle, family) in [("(Windows", "Windows"), ("(Mac OS X", "Mac OS X"), ("(Android", "Android"), ("(iOS", "iOS"), ("Linux", "Linux"), ("FreeBSD", "FreeBSD")] {
        if ua.contains(needle) {
            return part(family, "");
        }
    }
    UaPart::other()
}

fn device_of(ua: &str) -> UaPart {
    if let Some(start) = ua.find("Device \"") {
        let rest = &ua[start + 8..];
        if let Some(end) = rest.find('"') {
            return part(&rest[..end], "");
        }
    }
    if ua.contains("iPhone") {
        return part("iPhone", "");
    }
    if ua.contains("iPad") {
        return part("iPad", "");
    }
    // Android browsers: "(Linux; Android 14; Pixel 8) …"
    if let Some(v) = ua.find("Android ") {
        let rest = &ua[v..];
        if let Some(model) = rest.split([';', ')']).nth(1).map(str::trim).filter(|m| !m.is_empty() && *m != "K" && *m != "wv") {
            return part(model, "");
        }
    }
    UaPart::other()
}

fn family_of(ua: &str) -> UaPart {
    for (token, family) in [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("HeadlessChrome/", "HeadlessChrome"), ("Chrome/", "Chrome")] {
        if let Some(v) = after(ua, token) {
            return part(family, v);
        }
    }
    if ua.contains("Safari/") {
        return part(if ua.contains("Mobile") { "Mobile Safari" } else { "Safari" }, after(ua, "Version/").unwrap_or(""));
    }
    // Apps and tools: "Name/1.2.3 (…)".
    let first = ua.split_whitespace().next().unwrap_or("");
    match first.split_once('/') {
        Some((name, v)) if !name.is_empty() && name != "Mozilla" => part(name, v),
        _ => UaPart::other(),
    }
}

pub fn parse(ua: &str) -> UserAgent {
    let ua: String = ua.chars().take(512).collect();
    let family = family_of(&ua);
    UserAgent { family: family.family, major: family.major, minor: family.minor, patch: family.patch, device: device_of(&ua), os: os_of(&ua) }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_the_app_and_common_browsers() {
        let app = parse("AltogicAuth/0.1.0 (Linux; x86_64; Device \"ann-laptop\")");
        assert_eq!((app.family.as_str(), app.major.as_str(), app.minor.as_str()), ("AltogicAuth", "0", "1"));
        assert_eq!((app.os.family.as_str(), app.device.family.as_str()), ("Linux", "ann-laptop"));

        let chrome = parse("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.51 Safari/537.36");
        assert_eq!((chrome.family.as_str(), chrome.major.as_str(), chrome.patch.as_str()), ("Chrome", "99", "4844"));
        assert_eq!((chrome.os.family.as_str(), chrome.os.minor.as_str()), ("Mac OS X", "15"));
        assert_eq!(chrome.device.family, "Other");

        let phone = parse("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36");
        assert_eq!((phone.os.family.as_str(), phone.os.major.as_str(), phone.device.family.as_str()), ("Android", "14", "Pixel 8"));

        let iphone = parse("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1");
        assert_eq!((iphone.family.as_str(), iphone.os.family.as_str(), iphone.device.family.as_str()), ("Mobile Safari", "iOS", "iPhone"));

        let nothing = parse("");
        assert_eq!((nothing.family.as_str(), nothing.os.family.as_str()), ("Other", "Other"));
    }
}
