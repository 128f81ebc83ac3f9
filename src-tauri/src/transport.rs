//! What may carry a session: the one rule for a backend's address, used by the app at start-up
//! and by build.rs when it bakes a distribution build's backend in.

/// A configured backend must not carry passwords, codes and sessions over a network in the clear:
/// https, or plain http only to this machine (a local altogic-local). Anything else is refused at
/// start-up, and every command answers with this message. `allow_lan` (debug builds: `tauri dev`,
/// `tauri android dev` against a computer's altogic-local) also lets plain http reach a private
/// network's address literal; a release build never does.
pub fn check_transport(env_url: &str, allow_lan: bool) -> Result<(), String> {
    let parsed = url::Url::parse(env_url).map_err(|_| format!("The backend address {env_url:?} is not a URL (ALTOGIC_ENV_URL or backend.json)."))?;
    let (loopback, lan) = match parsed.host() {
        Some(url::Host::Domain(d)) => (d == "localhost", false),
        Some(url::Host::Ipv4(ip)) => (ip.is_loopback(), ip.is_private() || ip.is_link_local()),
        Some(url::Host::Ipv6(ip)) => (ip.is_loopback(), ip.is_unique_local() || ip.is_unicast_link_local()),
        None => (false, false),
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback || (allow_lan && lan) => Ok(()),
        "http" => Err(format!("The backend {env_url} uses plain http to another machine: passwords and sessions would cross the network unencrypted. Use its https:// address.")),
        other => Err(format!("The backend address {env_url} is not http(s) ({other}://).")),
    }
}


#[cfg(test)]
mod tests {
    use super::check_transport;

    #[test]
    fn a_backend_elsewhere_is_reached_over_https_only() {
        for allow_lan in [false, true] {
            for ok in ["https://c1-europe.altogic.com", "http://127.0.0.1:7171", "http://localhost:7171/", "http://[::1]:7171", "https://10.0.0.5"] {
                assert_eq!(check_transport(ok, allow_lan), Ok(()), "{ok}");
            }
            for refused in ["http://auth.example.com", "http://8.8.8.8:7171", "http://127.0.0.1.evil.example", "http://192.168.1.20.nip.io", "ftp://auth.example.com", "auth.example.com"] {
                assert!(check_transport(refused, allow_lan).is_err(), "{refused}");
            }
        }
        assert!(check_transport("http://auth.example.com", false).unwrap_err().contains("https://"));
        // A computer's altogic-local on the LAN, during development only.
        for lan in ["http://192.168.1.20:7171", "http://10.0.2.2:7171", "http://[fd00::5]:7171"] {
            assert!(check_transport(lan, false).is_err(), "{lan} in a release build");
            assert_eq!(check_transport(lan, true), Ok(()), "{lan} in a debug build");
        }
    }
}
