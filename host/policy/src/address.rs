//! The addresses a granted host *name* must not lead to (DESIGN §5.6): the one list the HTTP
//! capability and the browser proxy both apply to what a name resolves to.
//!
//! A grant names an origin; DNS is not the operator's. Without this check a granted name that
//! resolves (or is re-pointed) to `127.0.0.1`, to a private network or to a cloud metadata
//! address would reach the host's own services or the local network. An origin whose host is
//! an IP literal is the operator's explicit choice: [`dial_allowed`] lets exactly that one
//! address through, and nothing else.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The special range `ip` is in (a short name for refusals and audit), or `None` for an
/// ordinary, globally routed address. IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`) and NAT64 (`64:ff9b::a.b.c.d`) forms are also judged as the IPv4 they carry.
pub fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

/// Whether `ip` is in one of the special ranges of [`special_range`].
pub fn is_special(ip: IpAddr) -> bool {
    special_range(ip).is_some()
}

/// Whether an origin whose host is `host` may be dialled at `ip`: an ordinary address always,
/// a special one only when `host` is that very address written literally (the grant itself).
pub fn dial_allowed(host: &str, ip: IpAddr) -> bool {
    !is_special(ip) || literal(host) == Some(ip)
}

/// `host` as an IP literal (IPv6 with or without brackets), or `None` for a name.
pub fn literal(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Why a granted name that resolved to `found` (none of them allowed) is refused, naming each
/// address and its range: the one wording of the HTTP capability and the browser proxy.
pub fn name_refusal(host: &str, found: &[IpAddr]) -> String {
    let shown: Vec<String> = found
        .iter()
        .map(|ip| format!("{ip} ({})", special_range(*ip).unwrap_or("ordinary")))
        .collect();
    let shown = if shown.is_empty() {
        "nothing".to_string()
    } else {
        shown.join(", ")
    };
    format!(
        "`{host}` resolves to {shown}, which a granted name may not reach; \
         grant the address itself if it is meant"
    )
}

/// The IPv4 ranges, from the most to the least likely in practice.
fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    let range = match (a, b) {
        (127, _) => "loopback (127.0.0.0/8)",
        (10, _) => "private (10.0.0.0/8)",
        (172, 16..=31) => "private (172.16.0.0/12)",
        (192, 168) => "private (192.168.0.0/16)",
        (169, 254) => "link-local (169.254.0.0/16, cloud metadata)",
        (100, 64..=127) => "shared address space (100.64.0.0/10)",
        (0, _) => "this network (0.0.0.0/8)",
        (224..=239, _) => "multicast (224.0.0.0/4)",
        _ if ip.is_broadcast() => "broadcast (255.255.255.255)",
        _ => return None,
    };
    Some(range)
}

/// The IPv6 ranges; the forms embedding an IPv4 address are judged by that address.
fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = embedded_v4(ip) {
        return special_v4(v4);
    }
    let first = ip.segments()[0];
    let range = if ip.is_loopback() {
        "loopback (::1)"
    } else if ip.is_unspecified() {
        "unspecified (::)"
    } else if first & 0xfe00 == 0xfc00 {
        "unique local (fc00::/7, cloud metadata)"
    } else if first & 0xffc0 == 0xfe80 {
        "link-local (fe80::/10)"
    } else if first & 0xff00 == 0xff00 {
        "multicast (ff00::/8)"
    } else {
        return None;
    };
    Some(range)
}

/// The IPv4 address carried by an IPv4-mapped, IPv4-compatible or NAT64 (well-known prefix)
/// address. `::` and `::1` are left as IPv6: they are the unspecified and loopback addresses.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s[..6] {
        [0, 0, 0, 0, 0, 0xffff] => Some(tail),
        [0, 0, 0, 0, 0, 0] if s[6] != 0 || s[7] > 1 => Some(tail),
        [0x64, 0xff9b, 0, 0, 0, 0] => Some(tail),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn assert_special(addrs: &[&str], range: &str) {
        for a in addrs {
            let got = special_range(ip(a));
            assert!(
                got.is_some_and(|r| r.contains(range)),
                "{a}: expected {range}, got {got:?}"
            );
        }
    }

    #[test]
    fn ipv4_loopback_unspecified_this_network() {
        assert_special(&["127.0.0.1", "127.255.255.254"], "loopback");
        assert_special(&["0.0.0.0", "0.1.2.3", "0.255.255.255"], "0.0.0.0/8");
    }

    #[test]
    fn ipv4_private_ranges_and_their_edges() {
        assert_special(&["10.0.0.0", "10.1.2.3", "10.255.255.255"], "10.0.0.0/8");
        assert_special(&["172.16.0.1", "172.31.255.255"], "172.16.0.0/12");
        assert_special(&["192.168.0.1", "192.168.255.255"], "192.168.0.0/16");
        for outside in ["172.15.255.255", "172.32.0.0", "192.167.1.1", "11.0.0.1"] {
            assert_eq!(special_range(ip(outside)), None, "{outside}");
        }
    }

    #[test]
    fn ipv4_shared_link_local_multicast_broadcast() {
        assert_special(&["100.64.0.1", "100.127.255.255"], "100.64.0.0/10");
        assert_special(&["169.254.169.254", "169.254.0.1"], "169.254.0.0/16");
        assert_special(&["224.0.0.1", "239.255.255.250"], "multicast");
        assert_special(&["255.255.255.255"], "broadcast");
        for outside in ["100.63.255.255", "100.128.0.0", "169.253.1.1", "240.0.0.1"] {
            assert_eq!(special_range(ip(outside)), None, "{outside}");
        }
    }

    #[test]
    fn ipv6_ranges() {
        assert_special(&["::1"], "loopback");
        assert_special(&["::"], "unspecified");
        assert_special(&["fc00::1", "fd00:ec2::254", "fdff::1"], "fc00::/7");
        assert_special(&["fe80::1", "febf::1"], "fe80::/10");
        assert_special(&["ff02::1", "ff05::2"], "multicast");
        for outside in ["2001:db8::1", "2a00:1450::1", "fec0::1", "fbff::1"] {
            assert_eq!(special_range(ip(outside)), None, "{outside}");
        }
    }

    #[test]
    fn ipv4_embedded_in_ipv6_is_judged_as_ipv4() {
        assert_special(&["::ffff:127.0.0.1"], "loopback");
        assert_special(&["::ffff:10.0.0.1"], "10.0.0.0/8");
        assert_special(&["::127.0.0.1"], "loopback");
        assert_special(&["::169.254.169.254"], "link-local");
        assert_special(&["::2"], "0.0.0.0/8");
        assert_special(&["64:ff9b::169.254.169.254"], "169.254");
        assert_special(&["64:ff9b::192.168.1.1"], "192.168");
        for ordinary in ["::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "::8.8.8.8"] {
            assert_eq!(special_range(ip(ordinary)), None, "{ordinary}");
        }
    }

    #[test]
    fn a_refusal_names_each_address_and_its_range() {
        let why = name_refusal("db.internal", &[ip("10.0.0.7"), ip("fd00::1")]);
        assert!(
            why.starts_with(
                "`db.internal` resolves to 10.0.0.7 (private (10.0.0.0/8)), fd00::1 (unique local"
            ),
            "{why}"
        );
        assert!(name_refusal("x", &[]).contains("resolves to nothing"));
    }

    #[test]
    fn a_literal_grant_allows_exactly_its_own_address() {
        assert!(dial_allowed("127.0.0.1", ip("127.0.0.1")));
        assert!(dial_allowed("[::1]", ip("::1")));
        assert!(dial_allowed("::1", ip("::1")));
        assert!(!dial_allowed("127.0.0.1", ip("127.0.0.2")));
        assert!(!dial_allowed("localhost", ip("127.0.0.1")));
        assert!(!dial_allowed("metadata.internal", ip("169.254.169.254")));
        assert!(dial_allowed("example.org", ip("93.184.215.14")));
        assert!(dial_allowed("10.0.0.5", ip("10.0.0.5")));
    }
}
