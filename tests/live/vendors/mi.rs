//! Xiaomi MiPush over HTTP: every code docs/vendors.md lists, each in an HTTP 200.

use super::Class::{DeadToken, Delivered, Failed};
use super::{apps, bare_failures, case, edit_form, header, push, serve, set_field, Tokens};
use crate::block_on;
use serde_json::json;
use zimsim_reference::push_services::mi::contract::{self, code};
use zimsim_reference::pushid::Vendor;
use zimsim_reference::topology::MI;

#[test]
fn mi_answers_every_code_over_http() {
    block_on(async {
        let apps = apps();
        let release = &apps.mi.production;
        let mut live = serve(MI, apps.fake(MI, 4)).await;
        let Tokens { token, debug_token, uninstalled } = live.tokens().await;

        let to = |token: &str| {
            let push = push(Vendor::Mi, token, 1);
            contract::request(&contract::Send {
                push: &push,
                package: &apps.bundle,
                app_secret: &release.secret,
                ttl_s: 60,
            })
        };
        let ok = to(&token);
        let field = |name: &str, value: Option<&str>| edit_form(&ok, |f| set_field(f, name, value));
        let error = |c: i64| json!({"result": "error", "code": c});
        let extras = |n: usize, len: usize| {
            edit_form(&ok, |f| f.extend((0..n).map(|i| (format!("extra.k{i}"), "v".repeat(len)))))
        };
        live.run(vec![
            case("success", ok.clone(), 200, json!({"result": "ok", "code": code::SUCCESS}), Delivered),
            case(
                "a wrong secret",
                header(&ok, "authorization", Some("key=wrong")),
                200,
                error(code::INVALID_SECRET),
                Failed,
            ),
            case("no secret", header(&ok, "authorization", None), 200, error(code::INVALID_SECRET), Failed),
            case(
                "Key= with a capital",
                header(&ok, "authorization", Some(&format!("Key={}", release.secret))),
                200,
                error(code::INVALID_SECRET),
                Failed,
            ),
            case("no registration_id", field("registration_id", None), 200, error(code::MISSING_PARAMETER), Failed),
            case(
                "no restricted_package_name",
                field("restricted_package_name", None),
                200,
                error(code::MISSING_PARAMETER),
                Failed,
            ),
            case("no title", field("title", None), 200, error(code::MISSING_PARAMETER), Failed),
            case("pass_through 2", field("pass_through", Some("2")), 200, error(code::INVALID_PARAMETER), Failed),
            case("notify_type 9", field("notify_type", Some("9")), 200, error(code::INVALID_PARAMETER), Failed),
            case("time_to_live 0", field("time_to_live", Some("0")), 200, error(code::INVALID_PARAMETER), Failed),
            case("a blank title", field("title", Some("  ")), 200, error(code::INVALID_PARAMETER), Failed),
            case(
                "a 50-character title",
                field("title", Some(&"t".repeat(50))),
                200,
                error(code::CONTENT_TOO_LONG),
                Failed,
            ),
            case(
                "a 128-character description",
                field("description", Some(&"d".repeat(128))),
                200,
                error(code::CONTENT_TOO_LONG),
                Failed,
            ),
            case("a 49-character title", field("title", Some(&"t".repeat(49))), 200, json!({"code": 0}), Delivered),
            // The contract's request carries one custom extra already (`extra.zim`).
            case("11 custom extras", extras(10, 1), 200, error(code::TOO_MANY_EXTRAS), Failed),
            case("10 custom extras", extras(9, 1), 200, json!({"code": 0}), Delivered),
            case("an extra of 1025 characters", extras(1, 1025), 200, error(code::EXTRA_TOO_LONG), Failed),
            case(
                "an unknown regId",
                to("bm90LWEtcmVnaWQtb2YtdGhpcy1hcHA="),
                200,
                json!({"code": code::NO_VALID_TARGETS, "reason": "No valid targets!"}),
                DeadToken,
            ),
            case("an uninstalled app's regId", to(&uninstalled), 200, error(code::NO_VALID_TARGETS), DeadToken),
            case("the debug app's regId", to(&debug_token), 200, error(code::NO_VALID_TARGETS), DeadToken),
            case(
                "another package",
                field("restricted_package_name", Some("im.zego.other")),
                200,
                error(code::NO_VALID_TARGETS),
                DeadToken,
            ),
        ])
        .await;

        live.injected(&ok, bare_failures()).await;
    });
}
