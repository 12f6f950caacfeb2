use std::fmt;

/// A web origin, `scheme://host:port`, with the port always explicit so that
/// `https://a.fr` and `https://a.fr:443` compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parse an origin or a URL (its path is ignored). Only `http` and `https`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| format!("`{text}` is not a URL (expected scheme://host[:port])"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            other => return Err(format!("scheme `{other}` is not allowed (http or https)")),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(format!(
                "`{text}` carries credentials; name a secret instead"
            ));
        }
        let (host, port) = split_host_port(authority, default_port)?;
        if host.is_empty() {
            return Err(format!("`{text}` has no host"));
        }
        Ok(Self {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

fn split_host_port(authority: &str, default_port: u16) -> Result<(&str, u16), String> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{authority}`: unclosed IPv6 bracket"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(p)?,
            None if after.is_empty() => default_port,
            None => return Err(format!("`{authority}`: unexpected text after the address")),
        };
        return Ok((host, port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Ok((host, parse_port(port)?)),
        None => Ok((authority, default_port)),
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("`{text}` is not a valid port"))
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.scheme, self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Origin;

    #[test]
    fn default_ports_are_explicit() {
        let a = Origin::parse("https://Chorus.Example.fr/path?q").unwrap();
        assert_eq!(a.to_string(), "https://chorus.example.fr:443");
        assert_eq!(a, Origin::parse("https://chorus.example.fr:443").unwrap());
    }

    #[test]
    fn ipv6_and_ports() {
        let o = Origin::parse("http://[::1]:8080/x").unwrap();
        assert_eq!(o.host(), "::1");
        assert_eq!(o.to_string(), "http://[::1]:8080");
    }

    #[test]
    fn rejects_other_schemes_credentials_and_bad_ports() {
        assert!(Origin::parse("ftp://a").is_err());
        assert!(Origin::parse("http://u:p@a").is_err());
        assert!(Origin::parse("http://a:0").is_err());
        assert!(Origin::parse("http://a:99999").is_err());
        assert!(Origin::parse("a.fr").is_err());
    }
}
