//! Google service accounts as FCM senders use them: the RSA key a sender holds (the
//! `private_key` of its service-account JSON) and the public half the fake's token
//! endpoint registers. Signing the assertion is here; the request around it is in
//! [`super::contract`], and checking it is the fake's job.

use crate::push_services::jwt;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::json;

/// Fixed 2048-bit RSA keys for tests and simulated worlds, generated once with `openssl
/// genpkey` and committed: generating RSA keys at run time is slow and would have to be
/// seeded. TEST-ONLY: they are public, and sign nothing outside the simulator.
pub const TEST_KEYS: [&str; 2] =
    [include_str!("test_service_account_1.pem"), include_str!("test_service_account_2.pem")];

/// A service account: who it is, which of its keys signs, the project it belongs to, and
/// that key.
#[derive(Clone)]
pub struct ServiceAccount {
    /// The `client_email`, the `iss` of its assertions.
    pub client_email: String,
    /// The `private_key_id`, the `kid` of its assertions.
    pub private_key_id: String,
    /// The Firebase project the account may send for.
    pub project_id: String,
    pub(super) key: SigningKey<Sha256>,
}

impl std::fmt::Debug for ServiceAccount {
    /// The private key stays out of traces and test output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("project_id", &self.project_id)
            .finish()
    }
}

/// What Google knows of a service account: its identity, project and public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceAccountKey {
    pub client_email: String,
    pub private_key_id: String,
    pub project_id: String,
    pub(crate) verifying: RsaPublicKey,
}

impl ServiceAccount {
    /// The account whose key is the PKCS#8 PEM `pem` (as in a service-account JSON's
    /// `private_key`). Text before the `-----BEGIN` line is skipped.
    pub fn from_pem(
        client_email: &str,
        private_key_id: &str,
        project_id: &str,
        pem: &str,
    ) -> Result<ServiceAccount, String> {
        let pem = pem.find("-----BEGIN").map_or(pem, |at| &pem[at..]);
        let key = RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| format!("not a PKCS#8 RSA key: {e}"))?;
        Ok(ServiceAccount {
            client_email: client_email.to_owned(),
            private_key_id: private_key_id.to_owned(),
            project_id: project_id.to_owned(),
            key: SigningKey::new(key),
        })
    }

    /// The simulator's account for `project_id` with test key `n` (`0` or `1` of
    /// [`TEST_KEYS`]): `zimsim-fcm@<project>.iam.gserviceaccount.com`, and a 40-hex-digit key
    /// ID derived from the project and `n`, the shape Google's key IDs have.
    pub fn test(project_id: &str, n: usize) -> ServiceAccount {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new().chain_update(project_id).chain_update(n.to_le_bytes()).finalize();
        let email = format!("zimsim-fcm@{project_id}.iam.gserviceaccount.com");
        ServiceAccount::from_pem(&email, &hex::encode(&digest[..20]), project_id, TEST_KEYS[n])
            .expect("the committed test keys parse")
    }

    /// The half Google's token endpoint knows.
    pub fn public(&self) -> ServiceAccountKey {
        ServiceAccountKey {
            client_email: self.client_email.clone(),
            private_key_id: self.private_key_id.clone(),
            project_id: self.project_id.clone(),
            verifying: self.key.as_ref().to_public_key(),
        }
    }

    /// The JWT-bearer assertion for an FCM access token, issued at `iat_unix_s` and valid
    /// for [`super::contract::MAX_ASSERTION_LIFETIME_S`], as Google's auth libraries write it.
    /// RSASSA-PKCS1-v1_5 signatures are deterministic: the same account and time give the
    /// same assertion.
    pub fn assertion(&self, iat_unix_s: u64) -> String {
        use super::contract::{MAX_ASSERTION_LIFETIME_S, SCOPE, TOKEN_URI};
        jwt::encode(
            &json!({"alg": "RS256", "typ": "JWT", "kid": self.private_key_id}),
            &json!({
                "iss": self.client_email,
                "scope": SCOPE,
                "aud": TOKEN_URI,
                "iat": iat_unix_s,
                "exp": iat_unix_s + MAX_ASSERTION_LIFETIME_S,
            }),
            |input| self.key.sign(input).to_vec(),
        )
    }
}

impl ServiceAccountKey {
    /// Whether `signature` is this account's RS256 signature of `input`.
    pub(crate) fn verifies(&self, input: &[u8], signature: &[u8]) -> bool {
        let key = VerifyingKey::<Sha256>::new(self.verifying.clone());
        Signature::try_from(signature).is_ok_and(|s| key.verify(input, &s).is_ok())
    }
}
