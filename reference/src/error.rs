//! Error types per boundary: ZIM's documented numeric codes for the client protocol,
//! frame decoding errors for the byte stream, PushID parse errors.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Declares the error code enum, its table of numbers, and `ALL`, from one list.
macro_rules! zim_error_codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal,)*) => {
        /// The ZIM client error codes this reference returns (values from ZEGO's tables).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(into = "u32", try_from = "u32")]
        pub enum ZimErrorCode {
            $($(#[$doc])* $name,)*
        }

        impl ZimErrorCode {
            pub const ALL: &'static [ZimErrorCode] = &[$(ZimErrorCode::$name,)*];

            pub fn code(self) -> u32 {
                match self {
                    $(ZimErrorCode::$name => $code,)*
                }
            }
        }
    };
}

zim_error_codes! {
    /// 6000001: a parameter is missing or malformed.
    ParamInvalid = 6_000_001,
    /// 6000004: the SDK's own frequency limit (more than 10 sends a second).
    ClientRateLimited = 6_000_004,
    /// 6000005: the server's frequency limit (more than 10 sends a second from a session).
    ServerRateLimited = 6_000_005,
    /// 6000009: the connection closed while the request was in flight (outcome unknown).
    DisconnectedWhileSending = 6_000_009,
    /// 6000103: the token does not verify for this app and user.
    TokenInvalid = 6_000_103,
    /// 6000104: network error (the SDK could not get a session in time).
    NetworkError = 6_000_104,
    /// 6000106: the token has expired; the app must renew it.
    TokenExpired = 6_000_106,
    /// 6000107: the token has an unknown version prefix.
    TokenVersionError = 6_000_107,
    /// 6000111: this connection is already logged in.
    UserHasAlreadyLogged = 6_000_111,
    /// 6000121: the request needs a logged-in session.
    UserIsNotLogged = 6_000_121,
    /// 6000204: the target user does not exist.
    TargetDoesNotExist = 6_000_204,
    /// 6000321: the user is not in that room.
    NotInRoom = 6_000_321,
    /// 6000322: the room does not exist.
    RoomDoesNotExist = 6_000_322,
    /// 6000521: the user is not a member of that group.
    NotInGroup = 6_000_521,
    /// 6000522: the user is already a member of that group.
    AlreadyInGroup = 6_000_522,
    /// 6000523: the group does not exist.
    GroupDoesNotExist = 6_000_523,
    /// 6000524: a group with that ID already exists.
    GroupAlreadyExists = 6_000_524,
    /// 6000525: the group has reached its member limit.
    GroupMemberLimit = 6_000_525,
    /// 6000541: the user may not do that (only a group's owner dismisses it).
    NoAuthority = 6_000_541,
}

impl From<ZimErrorCode> for u32 {
    fn from(c: ZimErrorCode) -> u32 {
        c.code()
    }
}

impl TryFrom<u32> for ZimErrorCode {
    type Error = String;
    fn try_from(v: u32) -> Result<Self, String> {
        ZimErrorCode::ALL.iter().copied().find(|c| c.code() == v).ok_or_else(|| format!("unknown ZIM error code {v}"))
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
    #[error("PushID marks a VoIP token of {0:?}, but only apns issues VoIP tokens")]
    VoipNotApns(String),
}
