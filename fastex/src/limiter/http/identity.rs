//! Who is asking: the peer address, a trusted proxy's word for it, or a custom key.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

/// Longest identity kept as it is; longer ones are hashed so no client can grow keys.
const MAX_VERBATIM_LEN: usize = 64;

/// The server was not started with `into_make_service_with_connect_info::<SocketAddr>()`,
/// so requests carry no peer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MissingConnectInfo;

/// The client's address: the peer's, or with `trust_proxy_headers` the one the nearest
/// proxy appended (the rightmost `X-Forwarded-For` entry, else `Forwarded: for=`, else
/// `X-Real-IP`). The leftmost entries are whatever the client sent and are never used.
pub(crate) fn client_ip(
    parts: &Parts,
    trust_proxy_headers: bool,
) -> Result<IpAddr, MissingConnectInfo> {
    if trust_proxy_headers && let Some(ip) = proxied_ip(&parts.headers) {
        return Ok(ip);
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_canonical())
        .ok_or(MissingConnectInfo)
}

fn proxied_ip(headers: &HeaderMap) -> Option<IpAddr> {
    let rightmost = |name: &str, split: char| {
        headers
            .get_all(name)
            .iter()
            .next_back()
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.rsplit(split).next())
            .map(str::trim)
    };
    if let Some(entry) = rightmost("x-forwarded-for", ',') {
        return parse_ip(entry);
    }
    if let Some(element) = rightmost("forwarded", ',') {
        let node = element
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| name.eq_ignore_ascii_case("for"))
            .map(|(_, node)| node.trim_matches('"'))?;
        return parse_ip(node);
    }
    rightmost("x-real-ip", ',').and_then(parse_ip)
}

/// An address as proxies write it: `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`.
fn parse_ip(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    text.parse::<SocketAddr>()
        .ok()
        .map(|addr| addr.ip().to_canonical())
}

/// An identity fit for a key: short identities of plain characters are kept as they are;
/// anything longer or with other characters (braces would move the key to another Redis
/// Cluster slot) becomes `~` and 32 hex digits of its SHA-256, a form no kept identity can
/// take.
pub(crate) fn sanitize_identity(identity: &str) -> Cow<'_, str> {
    let plain =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '_' | '@' | '/');
    if !identity.is_empty() && identity.len() <= MAX_VERBATIM_LEN && identity.chars().all(plain) {
        return Cow::Borrowed(identity);
    }
    let digest = Sha256::digest(identity.as_bytes());
    let mut hashed = String::with_capacity(33);
    hashed.push('~');
    for byte in &digest[..16] {
        let _ = write!(hashed, "{byte:02x}");
    }
    Cow::Owned(hashed)
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(peer: Option<&str>, headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder();
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        if let Some(peer) = peer {
            parts
                .extensions
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        }
        parts
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_peer_address_is_the_identity_unless_proxies_are_trusted() {
        let forged = parts(Some("127.0.0.2:5000"), &[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(client_ip(&forged, false), Ok(ip("127.0.0.2")));
        assert_eq!(client_ip(&parts(None, &[]), false), Err(MissingConnectInfo));
    }

    #[test]
    fn a_trusted_proxy_is_believed_for_the_address_it_appended_only() {
        let chain = parts(
            Some("10.0.0.1:80"),
            &[
                ("x-forwarded-for", "6.6.6.6, 7.7.7.7"),
                ("x-forwarded-for", "1.1.1.1, 203.0.113.9"),
            ],
        );
        assert_eq!(client_ip(&chain, true), Ok(ip("203.0.113.9")));
        let forwarded = parts(
            Some("10.0.0.1:80"),
            &[(
                "forwarded",
                "for=6.6.6.6, for=\"[2001:db8::7]:443\";proto=https",
            )],
        );
        assert_eq!(client_ip(&forwarded, true), Ok(ip("2001:db8::7")));
        let real_ip = parts(Some("10.0.0.1:80"), &[("x-real-ip", "198.51.100.4")]);
        assert_eq!(client_ip(&real_ip, true), Ok(ip("198.51.100.4")));
        let none = parts(Some("10.0.0.1:80"), &[]);
        assert_eq!(client_ip(&none, true), Ok(ip("10.0.0.1")));
        let mapped = parts(Some("[::ffff:192.0.2.1]:80"), &[]);
        assert_eq!(client_ip(&mapped, false), Ok(ip("192.0.2.1")));
    }

    #[test]
    fn an_unparsable_forwarded_address_falls_back_to_the_peer() {
        let junk = parts(
            Some("10.0.0.1:80"),
            &[("x-forwarded-for", "1.1.1.1, not-an-ip")],
        );
        assert_eq!(client_ip(&junk, true), Ok(ip("10.0.0.1")));
    }

    #[test]
    fn identities_are_bounded_and_cannot_pick_a_slot() {
        assert_eq!(sanitize_identity("user:42"), "user:42");
        assert_eq!(sanitize_identity("2001:db8::1"), "2001:db8::1");
        let braces = sanitize_identity("x}{victim");
        assert!(braces.starts_with('~') && braces.len() == 33, "{braces}");
        let long = "a".repeat(10_000);
        assert_eq!(sanitize_identity(&long).len(), 33);
        assert_ne!(
            sanitize_identity(&long),
            sanitize_identity(&"a".repeat(10_001))
        );
        assert_eq!(sanitize_identity(""), sanitize_identity(""));
        assert!(sanitize_identity("").starts_with('~'));
    }
}
