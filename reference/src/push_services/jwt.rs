//! Compact JWS (RFC 7515) as the vendors with signed credentials use it: APNs provider
//! tokens (ES256) and the service-account assertions of Google's token endpoint (RS256).
//! This file owns the framing only, `base64url(header).base64url(claims).base64url(sig)`;
//! each vendor owns its keys, its algorithm and which claims it checks.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

/// Builds a token from its header and claims, signing the `header.claims` text with `sign`.
/// `serde_json` writes object keys in sorted order, so equal inputs give equal tokens.
pub(crate) fn encode(header: &Value, claims: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let signing_input = format!("{}.{}", segment(header), segment(claims));
    let signature = sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn segment(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// A token split into its parts, nothing verified yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Parsed<'a> {
    pub header: serde_json::Map<String, Value>,
    pub claims: serde_json::Map<String, Value>,
    /// The text the signature covers: `header.claims` as it came in.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
}

/// Splits a compact token: three base64url parts without padding, the first two JSON
/// objects. `None` when it is not one.
pub(crate) fn parse(token: &str) -> Option<Parsed<'_>> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, claims) = signing_input.split_once('.')?;
    let object = |part: &str| match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    Some(Parsed {
        header: object(header)?,
        claims: object(claims)?,
        signing_input,
        signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
    })
}

/// A string field of a header or claims object.
pub(crate) fn str_field<'a>(map: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

/// A whole-seconds field (NumericDate) of a claims object.
pub(crate) fn secs_field(map: &serde_json::Map<String, Value>, key: &str) -> Option<u64> {
    map.get(key).and_then(Value::as_u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_token_splits_back_into_the_header_claims_and_signature_it_was_built_from() {
        let token = encode(&json!({"alg": "none", "b": 1}), &json!({"iat": 5}), |input| {
            assert_eq!(input, token_input().as_bytes());
            vec![1, 2, 3]
        });
        let parsed = parse(&token).expect("well formed");
        assert_eq!(Value::Object(parsed.header), json!({"alg": "none", "b": 1}));
        assert_eq!(Value::Object(parsed.claims), json!({"iat": 5}));
        assert_eq!(parsed.signature, vec![1, 2, 3]);
        assert_eq!(parsed.signing_input, token_input());
    }

    fn token_input() -> String {
        format!("{}.{}", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","b":1}"#), URL_SAFE_NO_PAD.encode(r#"{"iat":5}"#))
    }

    #[test]
    fn text_that_is_not_three_base64url_parts_of_json_objects_does_not_parse() {
        let good = encode(&json!({"alg": "x"}), &json!({}), |_| vec![9]);
        assert!(parse(&good).is_some());
        for bad in ["", "a.b", "abc", "e30.e30", "W10.e30.AA", "e30.e30.A=", "e30=.e30.AA", "e30.!!.AA"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(
            parse("e30.e30.").is_some_and(|p| p.signature.is_empty()),
            "an empty signature parses; it fails to verify"
        );
    }
}
