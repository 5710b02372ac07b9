//! ZEGO's Token04, the login token an app's backend mints with its ServerSecret.
//!
//! ```text
//! token  = "04" + base64(expire ‖ len ‖ iv ‖ len ‖ ciphertext)      (standard alphabet, padded)
//! expire = unix seconds, i64 big-endian
//! len    = u16 big-endian byte count of what follows it
//! iv     = 16 characters from [0-9a-z]
//! ciphertext = AES-256-CBC(key = the 32-byte ServerSecret, iv) of the PKCS#7-padded JSON
//!              {"app_id","user_id","ctime","expire","nonce","payload"}
//! ```
//!
//! The server decrypts with the app's secret and requires the app ID, the user ID and an
//! expiry that is still ahead. Answers (ZIM's codes): anything that does not decrypt to
//! this app's claims for this user → 6000103; past its expiry → 6000106; not version `04`
//! → 6000107.

use crate::error::ZimErrorCode;
use crate::ids::UserId;
use crate::time::Millis;
use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

type Encryptor = cbc::Encryptor<aes::Aes256>;
type Decryptor = cbc::Decryptor<aes::Aes256>;

/// The version prefix this module mints and accepts.
pub const VERSION: &str = "04";

/// What a token says, once decrypted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub app_id: u32,
    pub user_id: String,
    /// Issue time, unix seconds.
    pub ctime: i64,
    /// Expiry, unix seconds.
    pub expire: i64,
    pub nonce: i32,
    /// Privileges for RTC tokens; empty for a ZIM identity token.
    #[serde(default)]
    pub payload: String,
}

/// Why a token could not be minted (the inputs ZEGO's generator refuses).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MintError {
    #[error("app ID must not be 0")]
    ZeroAppId,
    #[error("user ID must not be empty")]
    EmptyUser,
    #[error("the ServerSecret must be 32 bytes, not {0}")]
    SecretLength(usize),
    #[error("the effective time must be positive, not {0} s")]
    EffectiveTime(i64),
}

/// Mints a Token04 for `user_id`, issued at `ctime` (unix seconds) and valid for
/// `effective_s` seconds. The IV and nonce come from `rng`, so a seeded RNG gives the same
/// token every run.
pub fn generate(
    app_id: u32,
    user_id: &str,
    secret: &str,
    ctime: i64,
    effective_s: i64,
    rng: &mut impl Rng,
) -> Result<String, MintError> {
    if app_id == 0 {
        return Err(MintError::ZeroAppId);
    }
    if user_id.is_empty() {
        return Err(MintError::EmptyUser);
    }
    let key = key_of(secret).ok_or(MintError::SecretLength(secret.len()))?;
    if effective_s <= 0 {
        return Err(MintError::EffectiveTime(effective_s));
    }
    const IV_CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let iv: [u8; 16] = std::array::from_fn(|_| IV_CHARS[rng.random_range(0..IV_CHARS.len())]);
    let claims = Claims {
        app_id,
        user_id: user_id.to_owned(),
        ctime,
        expire: ctime.saturating_add(effective_s),
        nonce: rng.random(),
        payload: String::new(),
    };
    let plain = serde_json::to_vec(&claims).expect("claims serialize");
    let cipher = Encryptor::new(key.into(), &iv.into()).encrypt_padded_vec_mut::<Pkcs7>(&plain);
    let mut packed = Vec::with_capacity(8 + 2 + 16 + 2 + cipher.len());
    packed.extend_from_slice(&claims.expire.to_be_bytes());
    for part in [&iv[..], &cipher[..]] {
        packed.extend_from_slice(&(part.len() as u16).to_be_bytes());
        packed.extend_from_slice(part);
    }
    Ok(format!("{VERSION}{}", BASE64.encode(packed)))
}

/// What an app's backend does in a simulation: a token for `user` issued at `issued` and
/// expiring at `expires` (simulated times, with `Millis::ZERO` at unix ms `epoch_unix_ms`).
/// The IV and nonce are drawn from a generator seeded by the token's own inputs, so a run
/// mints the same tokens every time.
pub fn mint_between(
    secret: &str,
    app_id: u32,
    user: &UserId,
    issued: Millis,
    expires: Millis,
    epoch_unix_ms: u64,
) -> Result<String, MintError> {
    let (ctime, expire) = (issued.unix_s(epoch_unix_ms), expires.unix_s(epoch_unix_ms));
    let seed = crate::time::sub_seed(issued.0 ^ expires.0.rotate_left(32), user.as_str());
    generate(app_id, user.as_str(), secret, ctime, expire - ctime, &mut ChaCha8Rng::seed_from_u64(seed))
}

/// A token for `user` issued at simulated time 0 and expiring at `expires`, on the
/// simulation's epoch: the short form tests use.
pub fn mint(secret: &str, app_id: u32, user: &UserId, expires: Millis) -> String {
    mint_between(secret, app_id, user, Millis::ZERO, expires, crate::time::SIM_EPOCH_UNIX_MS)
        .expect("a test token for a valid user and secret")
}

/// The server's check of a login or renewal token at `now_unix_s`, with the documented
/// error code for each failure. On success, the token's claims.
pub fn verify(secret: &str, app_id: u32, user: &UserId, token: &str, now_unix_s: i64) -> Result<Claims, ZimErrorCode> {
    let claims = decode(secret, token)?;
    if claims.app_id != app_id || claims.user_id != user.as_str() {
        return Err(ZimErrorCode::TokenInvalid);
    }
    if now_unix_s >= claims.expire {
        return Err(ZimErrorCode::TokenExpired);
    }
    Ok(claims)
}

/// Decrypts a token's claims without judging them.
pub fn decode(secret: &str, token: &str) -> Result<Claims, ZimErrorCode> {
    let Some(body) = token.strip_prefix(VERSION) else {
        // Two digits of another version are a token of the wrong version; anything else is
        // not a token at all.
        let versioned = token.len() > 2 && token.as_bytes()[..2].iter().all(u8::is_ascii_digit);
        return Err(if versioned { ZimErrorCode::TokenVersionError } else { ZimErrorCode::TokenInvalid });
    };
    let invalid = ZimErrorCode::TokenInvalid;
    let packed = BASE64.decode(body).map_err(|_| invalid)?;
    let mut rest = packed.as_slice();
    let expire = i64::from_be_bytes(take(&mut rest, 8).ok_or(invalid)?.try_into().expect("8 bytes"));
    let iv: [u8; 16] = take_string(&mut rest).ok_or(invalid)?.try_into().map_err(|_| invalid)?;
    let cipher = take_string(&mut rest).ok_or(invalid)?;
    if !rest.is_empty() {
        return Err(invalid);
    }
    let key = key_of(secret).ok_or(invalid)?;
    let plain = Decryptor::new(key.into(), &iv.into()).decrypt_padded_vec_mut::<Pkcs7>(cipher).map_err(|_| invalid)?;
    let claims: Claims = serde_json::from_slice(&plain).map_err(|_| invalid)?;
    // The clear expiry must be the sealed one: a token with a stretched expiry is forged.
    if claims.expire != expire {
        return Err(invalid);
    }
    Ok(claims)
}

fn key_of(secret: &str) -> Option<&[u8; 32]> {
    secret.as_bytes().try_into().ok()
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, tail) = rest.split_at_checked(n)?;
    *rest = tail;
    Some(head)
}

fn take_string<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u16::from_be_bytes(take(rest, 2)?.try_into().expect("2 bytes")) as usize;
    take(rest, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "fa94dd0f974cf2e293728a526b028271";
    const NOW: i64 = 1_767_225_600;

    fn mint(user: &str, effective_s: i64) -> String {
        generate(7, user, SECRET, NOW, effective_s, &mut ChaCha8Rng::seed_from_u64(1)).unwrap()
    }

    #[test]
    fn a_minted_token_verifies_for_its_app_and_user_until_it_expires() {
        let t = mint("alice", 3600);
        assert!(t.starts_with("04"));
        let claims = verify(SECRET, 7, &"alice".into(), &t, NOW).unwrap();
        assert_eq!((claims.app_id, claims.user_id.as_str()), (7, "alice"));
        assert_eq!((claims.ctime, claims.expire), (NOW, NOW + 3600));
        assert_eq!(verify(SECRET, 7, &"alice".into(), &t, NOW + 3599).map(|c| c.nonce), Ok(claims.nonce));
        assert_eq!(verify(SECRET, 7, &"alice".into(), &t, NOW + 3600), Err(ZimErrorCode::TokenExpired));
    }

    #[test]
    fn the_layout_is_expiry_then_a_16_character_iv_then_the_ciphertext() {
        let packed = BASE64.decode(&mint("alice", 60)[2..]).unwrap();
        assert_eq!(i64::from_be_bytes(packed[..8].try_into().unwrap()), NOW + 60);
        assert_eq!(u16::from_be_bytes([packed[8], packed[9]]), 16);
        let iv = &packed[10..26];
        assert!(iv.iter().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()), "{iv:?}");
        let len = u16::from_be_bytes([packed[26], packed[27]]) as usize;
        assert_eq!(packed.len(), 28 + len);
        assert_eq!(len % 16, 0, "whole AES blocks");
    }

    #[test]
    fn the_same_seed_mints_the_same_token_and_another_seed_another() {
        let other = generate(7, "alice", SECRET, NOW, 60, &mut ChaCha8Rng::seed_from_u64(2)).unwrap();
        assert_eq!(mint("alice", 60), mint("alice", 60));
        assert_ne!(mint("alice", 60), other);
    }

    #[test]
    fn another_app_user_or_secret_is_6000103() {
        let t = mint("alice", 60);
        assert_eq!(verify(SECRET, 8, &"alice".into(), &t, NOW), Err(ZimErrorCode::TokenInvalid));
        assert_eq!(verify(SECRET, 7, &"bob".into(), &t, NOW), Err(ZimErrorCode::TokenInvalid));
        let other = "00000000000000000000000000000000";
        assert_eq!(verify(other, 7, &"alice".into(), &t, NOW), Err(ZimErrorCode::TokenInvalid));
    }

    #[test]
    fn every_tampered_byte_garbage_and_truncation_is_6000103_never_a_panic() {
        let t = mint("alice", 60);
        let packed = BASE64.decode(&t[2..]).unwrap();
        for i in 0..packed.len() {
            let mut bad = packed.clone();
            bad[i] ^= 0x01;
            let forged = format!("04{}", BASE64.encode(&bad));
            let got = verify(SECRET, 7, &"alice".into(), &forged, NOW);
            // A flipped bit in the first cipher block's IV can leave valid JSON of other
            // claims; whatever it decrypts to, it is never alice's valid token.
            assert!(got.is_err(), "byte {i}: {got:?}");
        }
        for n in 0..packed.len() {
            let cut = format!("04{}", BASE64.encode(&packed[..n]));
            assert_eq!(verify(SECRET, 7, &"alice".into(), &cut, NOW), Err(ZimErrorCode::TokenInvalid), "{n}");
        }
        for junk in ["", "0", "04", "04!!!", "garbage", "zt1.5.abc"] {
            assert_eq!(verify(SECRET, 7, &"alice".into(), junk, NOW), Err(ZimErrorCode::TokenInvalid), "{junk:?}");
        }
    }

    #[test]
    fn a_stretched_clear_expiry_is_refused() {
        let mut packed = BASE64.decode(&mint("alice", 60)[2..]).unwrap();
        packed[..8].copy_from_slice(&(NOW + 86_400).to_be_bytes());
        let forged = format!("04{}", BASE64.encode(&packed));
        assert_eq!(verify(SECRET, 7, &"alice".into(), &forged, NOW + 120), Err(ZimErrorCode::TokenInvalid));
    }

    #[test]
    fn another_version_is_6000107() {
        let t = mint("alice", 60);
        for v in ["03", "05", "99"] {
            let other = format!("{v}{}", &t[2..]);
            assert_eq!(verify(SECRET, 7, &"alice".into(), &other, NOW), Err(ZimErrorCode::TokenVersionError));
        }
    }

    #[test]
    fn the_generator_refuses_what_zegos_refuses() {
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        assert_eq!(generate(0, "a", SECRET, NOW, 60, rng), Err(MintError::ZeroAppId));
        assert_eq!(generate(7, "", SECRET, NOW, 60, rng), Err(MintError::EmptyUser));
        assert_eq!(generate(7, "a", "short", NOW, 60, rng), Err(MintError::SecretLength(5)));
        assert_eq!(generate(7, "a", SECRET, NOW, 0, rng), Err(MintError::EffectiveTime(0)));
    }
}
