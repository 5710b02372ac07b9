//! APNs provider tokens: the ES256 signing key a provider holds (Apple's `.p8` key, here
//! drawn from a seed) and the public half the fake registers. Minting a token is
//! [`super::contract::provider_token`]; checking one is the fake's job.

use crate::push_services::jwt;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde_json::json;
use sha2::{Digest, Sha256};

/// A provider's token-signing key: Apple's 10-character Team ID and Key ID, and the P-256
/// key. Signing is deterministic (RFC 6979), so the same key and `iat` give the same token.
#[derive(Clone)]
pub struct ProviderKey {
    pub team_id: String,
    pub key_id: String,
    pub(super) signing: SigningKey,
}

impl std::fmt::Debug for ProviderKey {
    /// The secret half stays out of traces and test output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderKey").field("team_id", &self.team_id).field("key_id", &self.key_id).finish()
    }
}

/// What the fake knows of a provider key: who it belongs to and how to check its signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderPublicKey {
    pub team_id: String,
    pub key_id: String,
    pub(crate) verifying: VerifyingKey,
}

impl ProviderKey {
    /// The key whose private scalar is `bytes`, or why there is none (zero, or not below
    /// the P-256 group order).
    pub fn from_bytes(team_id: &str, key_id: &str, bytes: &[u8; 32]) -> Result<ProviderKey, String> {
        let signing = SigningKey::from_slice(bytes).map_err(|e| format!("not a P-256 private key: {e}"))?;
        Ok(ProviderKey { team_id: team_id.to_owned(), key_id: key_id.to_owned(), signing })
    }

    /// A key drawn from `seed`: SHA-256 of a fixed label, the seed and a counter, the first
    /// digest that is a valid scalar (all but about one in 2^32 are). Every run with the same
    /// seed gets the same key.
    pub fn from_seed(team_id: &str, key_id: &str, seed: u64) -> ProviderKey {
        (0u32..)
            .find_map(|attempt| {
                let mut h = Sha256::new();
                h.update(b"zimsim apns provider key");
                h.update(seed.to_le_bytes());
                h.update(attempt.to_le_bytes());
                ProviderKey::from_bytes(team_id, key_id, &h.finalize().into()).ok()
            })
            .expect("some digest is a valid scalar")
    }

    /// The half the fake registers.
    pub fn public(&self) -> ProviderPublicKey {
        ProviderPublicKey {
            team_id: self.team_id.clone(),
            key_id: self.key_id.clone(),
            verifying: *self.signing.verifying_key(),
        }
    }

    /// The provider token (JWT) issued at `iat_unix_s`: header `{"alg":"ES256","kid"}`,
    /// claims `{"iss":<team>,"iat"}`, and the raw 64-byte `r || s` signature JWS asks for.
    pub fn token(&self, iat_unix_s: u64) -> String {
        jwt::encode(
            &json!({"alg": "ES256", "kid": self.key_id}),
            &json!({"iss": self.team_id, "iat": iat_unix_s}),
            |input| {
                let signature: Signature = self.signing.sign(input);
                signature.to_bytes().to_vec()
            },
        )
    }
}

impl ProviderPublicKey {
    /// Whether `signature` is this key's ES256 signature of `input`.
    pub(crate) fn verifies(&self, input: &[u8], signature: &[u8]) -> bool {
        Signature::from_slice(signature).is_ok_and(|s| self.verifying.verify(input, &s).is_ok())
    }
}
