//! Dialing an allowed origin: names resolved by the proxy, special addresses refused.
//!
//! The policy grants origins by name, but DNS is not the operator's: a granted name that
//! resolves to loopback, a private network or a cloud metadata address would let a page reach
//! the host's own services. The proxy applies the host's one special-address list
//! ([`pont_policy::address`]) to every address it would dial, and dials the checked address
//! itself (never the name again), so a second, different answer cannot slip in. An origin
//! whose host is an IP literal was granted as such and is dialled as it is.

use std::net::SocketAddr;
use std::time::Duration;

use pont_policy::address;
use tokio::net::TcpStream;

use crate::origin::Origin;

/// Time allowed to resolve and dial an upstream.
pub(super) const DIAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Addresses of one name considered at most.
const MAX_ADDRS: usize = 16;

/// Why no connection was made.
#[derive(Debug)]
pub(super) enum DialError {
    /// Every address of the name is special: a refusal, to be audited.
    Refused(String),
    /// Resolution or connection failed.
    Failed(std::io::Error),
    /// Resolution and connection took longer than [`DIAL_TIMEOUT`].
    Timeout,
}

/// The addresses `origin` may be dialled at (resolved once, special ones refused), bounded by
/// [`DIAL_TIMEOUT`].
pub(super) async fn resolve(origin: &Origin) -> Result<Vec<SocketAddr>, DialError> {
    match tokio::time::timeout(DIAL_TIMEOUT, allowed_addrs(origin)).await {
        Ok(r) => r,
        Err(_) => Err(DialError::Timeout),
    }
}

/// Connects to the first of `addrs` that answers, bounded by [`DIAL_TIMEOUT`].
pub(super) async fn connect(addrs: Vec<SocketAddr>) -> Result<TcpStream, DialError> {
    let attempt = async {
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(DialError::Failed(last.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no address")
        })))
    };
    match tokio::time::timeout(DIAL_TIMEOUT, attempt).await {
        Ok(r) => r,
        Err(_) => Err(DialError::Timeout),
    }
}

/// The addresses of `origin` the proxy may dial, or why there is none.
async fn allowed_addrs(origin: &Origin) -> Result<Vec<SocketAddr>, DialError> {
    if let Some(ip) = address::literal(&origin.host) {
        return Ok(vec![SocketAddr::new(ip, origin.port)]);
    }
    let found: Vec<SocketAddr> = tokio::net::lookup_host((origin.host.as_str(), origin.port))
        .await
        .map_err(DialError::Failed)?
        .take(MAX_ADDRS)
        .collect();
    let allowed: Vec<SocketAddr> = found
        .iter()
        .copied()
        .filter(|a| address::dial_allowed(&origin.host, a.ip()))
        .collect();
    if allowed.is_empty() && !found.is_empty() {
        let ips: Vec<_> = found.iter().map(|a| a.ip()).collect();
        return Err(DialError::Refused(address::name_refusal(
            &origin.host,
            &ips,
        )));
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Origin {
        Origin::from_url(url).unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_but_the_literal_is_not() {
        let err = allowed_addrs(&origin("http://localhost:9/"))
            .await
            .err()
            .unwrap_or_else(|| panic!("localhost was allowed"));
        let DialError::Refused(why) = err else {
            panic!("not a refusal: {err:?}")
        };
        assert!(
            why.contains("`localhost`") && why.contains("loopback"),
            "{why}"
        );
        let addrs = allowed_addrs(&origin("http://127.0.0.1:9/")).await;
        assert_eq!(
            addrs.ok(),
            Some(vec!["127.0.0.1:9".parse().unwrap_or_else(|_| panic!())])
        );
        let addrs = allowed_addrs(&origin("http://[::1]:9/")).await;
        assert_eq!(addrs.ok().map(|a| a.len()), Some(1));
    }
}
