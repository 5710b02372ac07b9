//! Login tokens. The walking skeleton uses a simple signed token; ZEGO's Token04 (AES-encrypted
//! claim set) replaces it in a later issue without changing the login protocol.
//!
//! Format: `zt1.<expiry ms>.<hex sha256(secret | app | user | expiry)>`.

use crate::error::ZimErrorCode;
use crate::ids::UserId;
use crate::time::Millis;
use sha2::{Digest, Sha256};

fn mac(secret: &str, app_id: u32, user: &UserId, expires: Millis) -> String {
    let mut h = Sha256::new();
    for part in [secret, &app_id.to_string(), user.as_str(), &expires.0.to_string()] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// What the app's own backend does: sign a token for `user` valid until `expires`.
pub fn mint(secret: &str, app_id: u32, user: &UserId, expires: Millis) -> String {
    format!("zt1.{}.{}", expires.0, mac(secret, app_id, user, expires))
}

/// The server's check, with the documented error code for each failure.
pub fn verify(secret: &str, app_id: u32, user: &UserId, token: &str, now: Millis) -> Result<(), ZimErrorCode> {
    let Some(rest) = token.strip_prefix("zt1.") else {
        return Err(if token.starts_with("zt") || token.starts_with("04") {
            ZimErrorCode::TokenVersionError
        } else {
            ZimErrorCode::TokenInvalid
        });
    };
    let (expiry, sig) = rest.split_once('.').ok_or(ZimErrorCode::TokenInvalid)?;
    let expires = Millis(expiry.parse().map_err(|_| ZimErrorCode::TokenInvalid)?);
    if sig != mac(secret, app_id, user, expires) {
        return Err(ZimErrorCode::TokenInvalid);
    }
    if now >= expires {
        return Err(ZimErrorCode::TokenExpired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_verifies_only_for_its_user_and_before_expiry() {
        let alice = UserId::from("alice");
        let t = mint("s3cret", 7, &alice, Millis(10_000));
        assert_eq!(verify("s3cret", 7, &alice, &t, Millis(9_999)), Ok(()));
        assert_eq!(verify("s3cret", 7, &alice, &t, Millis(10_000)), Err(ZimErrorCode::TokenExpired));
        assert_eq!(verify("s3cret", 7, &"bob".into(), &t, Millis(0)), Err(ZimErrorCode::TokenInvalid));
        assert_eq!(verify("other", 7, &alice, &t, Millis(0)), Err(ZimErrorCode::TokenInvalid));
        assert_eq!(verify("s3cret", 8, &alice, &t, Millis(0)), Err(ZimErrorCode::TokenInvalid));
        assert_eq!(verify("s3cret", 7, &alice, "garbage", Millis(0)), Err(ZimErrorCode::TokenInvalid));
        assert_eq!(verify("s3cret", 7, &alice, "04abc", Millis(0)), Err(ZimErrorCode::TokenVersionError));
    }
}
