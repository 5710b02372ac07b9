//! Error types per boundary: ZIM's documented numeric codes for the client protocol,
//! frame decoding errors for the byte stream, PushID parse errors.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The ZIM client error codes this reference server returns (values from ZEGO's tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "u32", try_from = "u32")]
pub enum ZimErrorCode {
    /// 6000001: a parameter is missing or malformed.
    ParamInvalid,
    /// 6000009: the connection closed while the request was in flight (outcome unknown).
    DisconnectedWhileSending,
    /// 6000103: the token does not verify for this app and user.
    TokenInvalid,
    /// 6000104: network error (the SDK could not get a session in time).
    NetworkError,
    /// 6000106: the token has expired; the app must renew it.
    TokenExpired,
    /// 6000107: the token has an unknown version prefix.
    TokenVersionError,
    /// 6000111: this connection is already logged in.
    UserHasAlreadyLogged,
    /// 6000121: the request needs a logged-in session.
    UserIsNotLogged,
    /// 6000204: the target user does not exist.
    TargetDoesNotExist,
}

impl ZimErrorCode {
    pub const ALL: [ZimErrorCode; 9] = [
        ZimErrorCode::ParamInvalid,
        ZimErrorCode::DisconnectedWhileSending,
        ZimErrorCode::TokenInvalid,
        ZimErrorCode::NetworkError,
        ZimErrorCode::TokenExpired,
        ZimErrorCode::TokenVersionError,
        ZimErrorCode::UserHasAlreadyLogged,
        ZimErrorCode::UserIsNotLogged,
        ZimErrorCode::TargetDoesNotExist,
    ];

    pub fn code(self) -> u32 {
        match self {
            ZimErrorCode::ParamInvalid => 6_000_001,
            ZimErrorCode::DisconnectedWhileSending => 6_000_009,
            ZimErrorCode::TokenInvalid => 6_000_103,
            ZimErrorCode::NetworkError => 6_000_104,
            ZimErrorCode::TokenExpired => 6_000_106,
            ZimErrorCode::TokenVersionError => 6_000_107,
            ZimErrorCode::UserHasAlreadyLogged => 6_000_111,
            ZimErrorCode::UserIsNotLogged => 6_000_121,
            ZimErrorCode::TargetDoesNotExist => 6_000_204,
        }
    }
}

impl From<ZimErrorCode> for u32 {
    fn from(c: ZimErrorCode) -> u32 {
        c.code()
    }
}

impl TryFrom<u32> for ZimErrorCode {
    type Error = String;
    fn try_from(v: u32) -> Result<Self, String> {
        ZimErrorCode::ALL.into_iter().find(|c| c.code() == v).ok_or_else(|| format!("unknown ZIM error code {v}"))
    }
}

/// Why a byte stream could not be turned into a frame. The connection is closed after any
/// of these, since framing is lost.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("frame of {len} bytes exceeds the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    #[error("frame is not valid JSON for this protocol: {0}")]
    Malformed(String),
}

/// Why a string is not a PushID.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PushIdError {
    #[error("PushID has no `zp<version>.` prefix")]
    MissingPrefix,
    #[error("PushID version {0} is not supported (this relay speaks zp1)")]
    UnsupportedVersion(String),
    #[error("PushID names unknown vendor {0:?}")]
    UnknownVendor(String),
    #[error("PushID names unknown environment {0:?}")]
    UnknownEnvironment(String),
    #[error("PushID has an empty vendor token")]
    EmptyToken,
}
