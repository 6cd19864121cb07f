//! Where a token may be used from: an optional list of IP addresses and
//! CIDR ranges (IPv4 and IPv6), a Forgekey extension no forge has per
//! token. An empty list allows every address.

use super::DomainError;
use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;

/// How many entries one token's list may hold.
pub const ALLOWED_IPS_MAX: usize = 20;

/// The ranges a token may be used from; empty: anywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowList(Vec<IpNet>);

/// An address as compared: an IPv4 address mapped into IPv6
/// (`::ffff:192.0.2.1`, as a dual-stack listener reports IPv4 clients) is
/// that IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl AllowList {
    /// Reads a list typed by a person or sent by a client: entries separated
    /// by commas, spaces or new lines; each an address (`192.0.2.7`,
    /// `2001:db8::1`) or a range (`192.0.2.0/24`, `2001:db8::/32`). A range
    /// with host bits set is refused with its network named, so a typo
    /// does not silently allow more than meant. Duplicates are dropped.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let invalid = |message: String| DomainError::field("allowed_ips", message);
        let mut nets: Vec<IpNet> = Vec::new();
        for entry in input
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let net = match entry.parse::<IpNet>() {
                Ok(net) => {
                    if net.trunc() != net {
                        return Err(invalid(format!(
                            "{entry} is not a network address: did you mean {}?",
                            net.trunc()
                        )));
                    }
                    net
                }
                Err(_) => match entry.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => {
                        return Err(invalid(format!(
                            "{entry} is not an IP address or CIDR range (such as 192.0.2.0/24 \
                             or 2001:db8::/32)."
                        )))
                    }
                },
            };
            // A mapped IPv4 range typed in IPv6 form is that IPv4 range.
            let net = match net {
                IpNet::V6(v6) if v6.prefix_len() >= 96 => v6
                    .addr()
                    .to_ipv4_mapped()
                    .and_then(|v4| IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).ok())
                    .unwrap_or(net),
                _ => net,
            };
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        if nets.len() > ALLOWED_IPS_MAX {
            return Err(invalid(format!(
                "At most {ALLOWED_IPS_MAX} addresses or ranges may be allowed."
            )));
        }
        Ok(Self(nets))
    }

    /// A list as stored (space-separated); an entry that no longer reads is
    /// dropped from the list, never widening it to "anywhere": a list whose
    /// every entry is unreadable allows nothing (`0.0.0.0/32`).
    pub fn from_stored(stored: &str) -> Self {
        let nets: Vec<IpNet> = stored
            .split_whitespace()
            .filter_map(|e| {
                e.parse::<IpNet>()
                    .ok()
                    .or_else(|| e.parse::<IpAddr>().ok().map(IpNet::from))
            })
            .collect();
        if nets.is_empty() && !stored.trim().is_empty() {
            return Self(vec![IpNet::from(IpAddr::from([0, 0, 0, 0]))]);
        }
        Self(nets)
    }

    /// The list as stored: space-separated, in the order given.
    pub fn to_stored(&self) -> String {
        self.to_string()
    }

    /// Each entry, as shown and as the API lists it.
    pub fn entries(&self) -> Vec<String> {
        self.0.iter().map(show).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request from `ip` may use the token; `None` (the address
    /// is unknown) only when the list is empty.
    pub fn permits(&self, ip: Option<IpAddr>) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let Some(ip) = ip else {
            return false;
        };
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether every address this list allows is one `wider` allows (an
    /// edit may narrow a token's list, never widen it).
    pub fn is_within(&self, wider: &Self) -> bool {
        if wider.0.is_empty() {
            return true;
        }
        if self.0.is_empty() {
            return false;
        }
        self.0
            .iter()
            .all(|net| wider.0.iter().any(|w| w.contains(net)))
    }
}

/// An entry as people write it: a single address without its `/32` or
/// `/128`.
fn show(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.entries().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    fn message(e: DomainError) -> String {
        let DomainError::Invalid(fields) = e;
        assert_eq!(fields[0].field, "allowed_ips");
        fields[0].message.clone()
    }

    #[test]
    fn addresses_and_ranges_of_both_families_are_read() {
        let list = AllowList::parse("192.0.2.7, 198.51.100.0/24\n2001:db8::/32  ::1").unwrap();
        assert_eq!(
            list.entries(),
            ["192.0.2.7", "198.51.100.0/24", "2001:db8::/32", "::1"]
        );
        assert_eq!(
            list.to_stored(),
            "192.0.2.7 198.51.100.0/24 2001:db8::/32 ::1"
        );
        assert_eq!(AllowList::from_stored(&list.to_stored()), list);
    }

    #[test]
    fn an_empty_list_allows_everyone_even_an_unknown_address() {
        let list = AllowList::parse("  , \n").unwrap();
        assert!(list.is_empty());
        assert!(list.permits(ip("203.0.113.9")));
        assert!(list.permits(None));
    }

    #[test]
    fn only_listed_addresses_are_permitted() {
        let list = AllowList::parse("192.0.2.7 198.51.100.0/24 2001:db8::/32").unwrap();
        assert!(list.permits(ip("192.0.2.7")));
        assert!(!list.permits(ip("192.0.2.8")));
        assert!(list.permits(ip("198.51.100.0")));
        assert!(list.permits(ip("198.51.100.255")));
        assert!(!list.permits(ip("198.51.101.0")));
        assert!(list.permits(ip("2001:db8:ffff::1")));
        assert!(!list.permits(ip("2001:db9::1")));
        // An unknown address is never taken as allowed.
        assert!(!list.permits(None));
    }

    #[test]
    fn ipv4_clients_seen_through_an_ipv6_socket_are_ipv4() {
        let list = AllowList::parse("192.0.2.0/24").unwrap();
        assert!(list.permits(ip("::ffff:192.0.2.33")));
        assert!(!list.permits(ip("::ffff:192.0.3.33")));
        // A mapped range typed in IPv6 form is the IPv4 range.
        let mapped = AllowList::parse("::ffff:192.0.2.0/120").unwrap();
        assert_eq!(mapped.entries(), ["192.0.2.0/24"]);
        assert!(mapped.permits(ip("192.0.2.200")));
    }

    #[test]
    fn bad_entries_are_refused_by_name() {
        let text = message(AllowList::parse("192.0.2.0/24, example.com").unwrap_err());
        assert!(text.contains("example.com is not an IP address"), "{text}");
        let text = message(AllowList::parse("10.1.2.3/8").unwrap_err());
        assert_eq!(
            text,
            "10.1.2.3/8 is not a network address: did you mean 10.0.0.0/8?"
        );
        assert!(AllowList::parse("10.0.0.0/33").is_err());
        let many: Vec<String> = (0..=ALLOWED_IPS_MAX)
            .map(|i| format!("10.0.0.{i}"))
            .collect();
        let text = message(AllowList::parse(&many.join(",")).unwrap_err());
        assert!(text.contains("At most 20"), "{text}");
        // Duplicates count once.
        let same = AllowList::parse("10.0.0.1 10.0.0.1/32").unwrap();
        assert_eq!(same.entries(), ["10.0.0.1"]);
    }

    #[test]
    fn a_stored_list_never_widens_when_unreadable() {
        let broken = AllowList::from_stored("garbage");
        assert!(!broken.is_empty());
        assert!(!broken.permits(ip("203.0.113.9")));
        assert!(AllowList::from_stored("").is_empty());
    }

    #[test]
    fn narrowing_is_told_from_widening() {
        let wide = AllowList::parse("10.0.0.0/8 2001:db8::/32").unwrap();
        let narrow = AllowList::parse("10.1.0.0/16 10.2.3.4").unwrap();
        let anywhere = AllowList::default();
        assert!(narrow.is_within(&wide));
        assert!(!wide.is_within(&narrow));
        assert!(wide.is_within(&anywhere));
        assert!(!anywhere.is_within(&wide));
        assert!(anywhere.is_within(&anywhere));
        let elsewhere = AllowList::parse("192.0.2.1").unwrap();
        assert!(!elsewhere.is_within(&wide));
    }
}
