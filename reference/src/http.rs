//! A minimal, owned HTTP request / response shape so the vendor fakes and the relay can be
//! sans-IO: the shell converts to and from hyper's types.

use serde::{Deserialize, Serialize};

/// An HTTP request with lower-case header names, in arrival order (repeats kept, because
/// APNs rejects repeated headers).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    #[serde(with = "body_text")]
    pub body: Vec<u8>,
}

/// An HTTP response as the cores produce it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    #[serde(with = "body_text")]
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn post(path: impl Into<String>, body: Vec<u8>) -> HttpRequest {
        HttpRequest { method: "POST".into(), path: path.into(), headers: Vec::new(), body }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> HttpRequest {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The first value of header `name` (lower-case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The name of the first header that appears more than once, if any.
    pub fn duplicate_header(&self) -> Option<&str> {
        let mut names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
    }
}

impl HttpResponse {
    pub fn new(status: u16) -> HttpResponse {
        HttpResponse { status, ..HttpResponse::default() }
    }

    pub fn json(status: u16, body: &serde_json::Value) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> HttpResponse {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, or `Null` when it is empty or not JSON.
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Bodies are JSON or empty in this system; traces show them as text, not byte arrays.
mod body_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(String::deserialize(d)?.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_headers_are_detected() {
        let r = HttpRequest::post("/", vec![]).header("a", "1").header("B", "2").header("a", "3");
        assert_eq!(r.duplicate_header(), Some("a"));
        assert_eq!(r.get("b"), Some("2"));
        assert_eq!(HttpRequest::post("/", vec![]).header("a", "1").duplicate_header(), None);
    }

    #[test]
    fn a_body_serializes_as_text_and_deserializes_back_to_the_same_bytes() {
        let req = HttpRequest::post("/3/device/t", br#"{"aps":{}}"#.to_vec()).header("apns-topic", "x");
        let v = serde_json::to_value(&req).expect("serializes");
        let text = serde_json::json!({"method": "POST", "path": "/3/device/t", "headers": [["apns-topic", "x"]],
            "body": "{\"aps\":{}}"});
        assert_eq!(v, text);
        assert_eq!(serde_json::from_value::<HttpRequest>(v).expect("deserializes"), req);
        let resp = HttpResponse::json(400, &serde_json::json!({"reason": "BadPayload"}));
        let v = serde_json::to_value(&resp).expect("serializes");
        assert_eq!(v["body"], r#"{"reason":"BadPayload"}"#);
        assert_eq!(serde_json::from_value::<HttpResponse>(v).expect("deserializes"), resp);
    }

    #[test]
    fn a_non_utf8_body_is_serialized_lossily_with_replacement_characters() {
        let resp = HttpResponse { body: vec![b'o', b'k', 0xff], ..HttpResponse::new(200) };
        let v = serde_json::to_value(&resp).expect("serializes");
        assert_eq!(v["body"], "ok\u{fffd}");
        let back = serde_json::from_value::<HttpResponse>(v).expect("deserializes");
        assert_eq!(back.body, "ok\u{fffd}".as_bytes());
    }
}
