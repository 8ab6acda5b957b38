//! The binary's one rustls crypto provider (ring), shared by every HTTP client: pages, links
//! and Slack.

use std::sync::Once;

/// The crypto provider every TLS connection uses.
pub fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// Installs [`provider`] as the process default. Safe to call often.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means another provider was installed first, which is fine too.
        let _ = provider().install_default();
    });
}
