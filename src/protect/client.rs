//! The address a request comes from: the socket's peer, or — only when that peer is a
//! proxy the operator trusts — the client its `X-Forwarded-For` names.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

/// The client address of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// What per-address limits count: see [`network`].
    pub fn network(self) -> IpAddr {
        network(self.0)
    }
}

/// The network a client address stands for, as per-address limits and caps count it: an
/// IPv4 address itself (an IPv4-mapped IPv6 one as IPv4), an IPv6 address by its /64 —
/// what one host is given, so one client can't spread over 2^64 addresses.
pub fn network(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`MURMUR_TRUSTED_PROXIES`); none by
/// default, so a client can't pick its own address.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[IpAddr]>);

impl TrustedProxies {
    /// Reads a comma-separated list of IP addresses.
    ///
    /// # Errors
    /// Names the entry that is not an IP address.
    pub fn parse(list: &str) -> Result<Self, String> {
        let proxies = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse()
                    .map_err(|_| format!("{entry:?} is not an IP address"))
            })
            .collect::<Result<Vec<IpAddr>, String>>()?;
        Ok(Self(proxies.into()))
    }

    /// Whether `peer` is one of the trusted proxies.
    pub fn is_trusted(&self, peer: IpAddr) -> bool {
        self.0.contains(&peer)
    }

    /// The client behind a connection from `peer` that says `forwarded_for`: the nearest
    /// address in the chain that is not a trusted proxy. Without a trusted peer, the peer.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> ClientAddr {
        if !self.is_trusted(peer) {
            return ClientAddr(peer);
        }
        let chain = forwarded_for.unwrap_or_default().split(',').rev();
        let mut client = peer;
        for hop in chain.map(|hop| hop.trim().parse::<IpAddr>()) {
            match hop {
                Ok(hop) => {
                    client = hop;
                    if !self.0.contains(&hop) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        ClientAddr(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let proxies = TrustedProxies::parse("10.0.0.1").unwrap();
        let client = proxies.client(ip("192.0.2.7"), Some("203.0.113.9"));
        assert_eq!(client, ClientAddr(ip("192.0.2.7")));
        assert_eq!(
            TrustedProxies::default()
                .client(ip("10.0.0.1"), Some("1.2.3.4"))
                .0,
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_nearest_untrusted_hop() {
        let proxies = TrustedProxies::parse("10.0.0.1, 10.0.0.2").unwrap();
        let forwarded = Some("198.51.100.1, 203.0.113.9, 10.0.0.2");
        assert_eq!(
            proxies.client(ip("10.0.0.1"), forwarded).0,
            ip("203.0.113.9")
        );
        assert_eq!(proxies.client(ip("10.0.0.1"), None).0, ip("10.0.0.1"));
        assert_eq!(
            proxies.client(ip("10.0.0.1"), Some("garbage")).0,
            ip("10.0.0.1")
        );
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_slash_64_and_an_ipv4_one_by_itself() {
        assert_eq!(network(ip("2001:db8:a:b:1:2:3:4")), ip("2001:db8:a:b::"));
        assert_eq!(network(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(network(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_ne!(
            network(ip("2001:db8:a:b::1")),
            network(ip("2001:db8:a:c::1"))
        );
    }

    #[test]
    fn a_proxy_list_with_a_non_address_is_refused() {
        assert!(TrustedProxies::parse("10.0.0.1,nginx").is_err());
        assert!(TrustedProxies::parse("").is_ok());
    }
}
