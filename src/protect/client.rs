//! The address a request comes from: the socket's peer, or — only when that peer is a
//! proxy the operator trusts — the client its `X-Forwarded-For` names.

use std::net::IpAddr;
use std::sync::Arc;

/// The client address of a request, as rate limits and stream caps count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

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
    fn a_proxy_list_with_a_non_address_is_refused() {
        assert!(TrustedProxies::parse("10.0.0.1,nginx").is_err());
        assert!(TrustedProxies::parse("").is_ok());
    }
}
