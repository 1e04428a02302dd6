//! Personal data never reaches the database in the clear: people become stable pseudonyms
//! (HMAC-SHA256 of the name under a random per-database secret) unless config opts in to
//! names, and emails, phone numbers, IP addresses and configured patterns in free text are
//! replaced before a row is written. Applied at ingest by import and sync.

use crate::config::PrivacyConfig;
use crate::store::Store;
use hmac::{Hmac, KeyInit, Mac};
use regex::Regex;
use sha2::Sha256;
use std::borrow::Cow;
use std::sync::LazyLock;

const SECRET_KEY: &str = "privacy.pseudonym_secret";

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b").expect("email pattern")
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
        .expect("ipv4 pattern")
});
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    // Full form, or a compressed form with `::` (so clock times like 10:30 never match).
    Regex::new(
        r"(?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|(?:\b[0-9a-f]{1,4}:)*(?:\b[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:)*[0-9a-f]{1,4}\b",
    )
        .expect("ipv6 pattern")
});
// International or North American style numbers with at least 9 digits; version numbers and
// dates do not have the separators and length this asks for.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}\b")
        .expect("phone pattern")
});

/// The privacy rules of one database.
#[derive(Clone)]
pub struct Privacy {
    key: Vec<u8>,
    store_names: bool,
    rules: Vec<(&'static str, Regex)>,
}

impl std::fmt::Debug for Privacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Privacy")
            .field("key", &"[redacted]")
            .field("store_names", &self.store_names)
            .field("rules", &self.rules.len())
            .finish()
    }
}

impl Privacy {
    /// The rules for `store` under `config`, creating the database's secret on first use.
    pub fn for_store(store: &Store, config: &PrivacyConfig) -> crate::store::Result<Self> {
        let key = match store.meta(SECRET_KEY)? {
            Some(hex) => decode_hex(&hex).unwrap_or_default(),
            None => Vec::new(),
        };
        let key = if key.len() == 32 {
            key
        } else {
            let mut fresh = [0u8; 32];
            rand::fill(&mut fresh);
            store.set_meta(SECRET_KEY, &encode_hex(&fresh))?;
            fresh.to_vec()
        };
        Ok(Self::with_key(key, config))
    }

    /// Rules with a given secret (for tests and for the demo's deterministic data).
    pub fn with_key(key: Vec<u8>, config: &PrivacyConfig) -> Self {
        let mut rules = Vec::new();
        if config.redact_emails {
            rules.push(("email", EMAIL.clone()));
        }
        if config.redact_ips {
            rules.push(("ip", IPV6.clone()));
            rules.push(("ip", IPV4.clone()));
        }
        if config.redact_phones {
            rules.push(("phone", PHONE.clone()));
        }
        for p in &config.redact_patterns {
            rules.push(("redacted", p.regex().clone()));
        }
        Privacy {
            key,
            store_names: config.store_names,
            rules,
        }
    }

    /// A stable pseudonym for a person (`person-` and 10 hex digits), or the name itself when
    /// config opts in to names. Case and surrounding spaces do not change the pseudonym.
    pub fn person(&self, name: &str) -> String {
        let name = name.trim();
        if self.store_names || name.is_empty() {
            return self.redact(name).into_owned();
        }
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return "person-unknown".into();
        };
        mac.update(name.to_lowercase().as_bytes());
        let digest = mac.finalize().into_bytes();
        format!("person-{}", &encode_hex(&digest)[..10])
    }

    /// Free text with personal data replaced by `[email]`, `[phone]`, `[ip]` or `[redacted]`.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (label, re) in &self.rules {
            if re.is_match(&out) {
                out = Cow::Owned(re.replace_all(&out, format!("[{label}]")).into_owned());
            }
        }
        out
    }
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Privacy {
        Privacy::with_key(vec![7; 32], &PrivacyConfig::default())
    }

    #[test]
    fn people_become_stable_keyed_pseudonyms() {
        let p = rules();
        let a = p.person("Ada Lovelace");
        assert!(a.starts_with("person-") && a.len() == 17, "{a}");
        assert_eq!(a, p.person("  ada lovelace "));
        assert_ne!(a, p.person("Grace Hopper"));
        let other_db = Privacy::with_key(vec![8; 32], &PrivacyConfig::default());
        assert_ne!(
            a,
            other_db.person("Ada Lovelace"),
            "the secret keys the hash"
        );
        assert!(!a.contains("Ada"));
    }

    #[test]
    fn emails_phones_and_ips_are_redacted_from_text() {
        let p = rules();
        let t = p.redact(
            "Paged ada@example.com at +44 20 7946 0958 about 10.2.3.4 and fe80::1:2 (v2.3.1, 2026-11-01, 10:30)",
        );
        assert_eq!(
            t,
            "Paged [email] at [phone] about [ip] and [ip] (v2.3.1, 2026-11-01, 10:30)"
        );
        assert!(matches!(p.redact("nothing personal"), Cow::Borrowed(_)));
    }

    #[test]
    fn names_are_kept_only_when_config_opts_in() {
        let config = PrivacyConfig {
            store_names: true,
            ..PrivacyConfig::default()
        };
        let p = Privacy::with_key(vec![1; 32], &config);
        assert_eq!(p.person("Ada Lovelace"), "Ada Lovelace");
    }

    #[test]
    fn the_secret_is_created_once_per_database() {
        let store = Store::open_in_memory().unwrap();
        let a = Privacy::for_store(&store, &PrivacyConfig::default()).unwrap();
        let b = Privacy::for_store(&store, &PrivacyConfig::default()).unwrap();
        assert_eq!(a.person("x"), b.person("x"));
        let other = Store::open_in_memory().unwrap();
        let c = Privacy::for_store(&other, &PrivacyConfig::default()).unwrap();
        assert_ne!(a.person("x"), c.person("x"));
    }
}
