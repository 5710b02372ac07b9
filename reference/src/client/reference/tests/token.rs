//! Token renewal and expiry, as the app sees them.

use super::*;

fn renew(token: &str) -> AppCall {
    AppCall::RenewToken { token: Some(token.into()) }
}

#[test]
fn the_servers_warning_reaches_the_app_as_token_will_expire() {
    let mut sdk = logged_in(ios_debug());
    let o = server(&mut sdk, 70_000, ServerFrame::TokenWillExpire { second: 30 });
    assert_eq!(o, vec![ev(AppEvent::TokenWillExpire { second: 30 })]);
}

#[test]
fn a_renewal_goes_to_the_server_and_its_token_is_used_by_the_next_reconnect() {
    let mut sdk = logged_in(ios_debug());
    let o = app(&mut sdk, 10, renew("fresh"));
    assert_eq!(o, vec![out(ClientFrame::RenewToken { req: 3, token: "fresh".into() })]);
    let o = server(&mut sdk, 20, ServerFrame::RenewTokenOk { req: 3 });
    assert_eq!(o, vec![ev(AppEvent::TokenRenewed { code: 0, message: String::new() })]);
    assert_eq!(reconnect_login_token(&mut sdk, 30), "fresh", "the reconnect logs in with the renewed token");
}

/// Drops the link at `now` and returns the token the reconnect's login carries.
fn reconnect_login_token(sdk: &mut ReferenceSdk, now: u64) -> String {
    feed(sdk, now, SdkInput::Disconnected);
    let at = sdk.poll_timeout().expect("a reconnect is scheduled").0;
    tick(sdk, at);
    let o = feed(sdk, at, SdkInput::Connected);
    o.into_iter()
        .find_map(|x| match x {
            SdkOutput::Send { frame: ClientFrame::Login { token, .. } } => Some(token),
            _ => None,
        })
        .expect("a login once connected")
}

#[test]
fn a_refused_renewal_is_reported_with_the_servers_code_and_keeps_the_old_token() {
    let mut sdk = logged_in(ios_debug());
    app(&mut sdk, 10, renew("forged"));
    let o = server(
        &mut sdk,
        20,
        ServerFrame::Error { req: Some(3), code: ZimErrorCode::TokenInvalid, message: "renewal token rejected".into() },
    );
    assert_eq!(o, vec![ev(AppEvent::TokenRenewed { code: 6_000_103, message: "renewal token rejected".into() })]);
    assert_eq!(reconnect_login_token(&mut sdk, 30), "tok");
}

#[test]
fn a_renewal_without_a_login_fails_with_6000121() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    let o = app(&mut sdk, 0, renew("fresh"));
    assert_eq!(o, vec![ev(AppEvent::TokenRenewed { code: 6_000_121, message: "not logged in".into() })]);
}

#[test]
fn an_expired_token_disconnects_with_token_expired_and_the_sdk_does_not_reconnect() {
    let mut sdk = logged_in(ios_debug());
    let o = server(&mut sdk, 100_000, ServerFrame::TokenExpired);
    assert_eq!(o, vec![SdkOutput::Close, state(ConnectionState::Disconnected, ConnectionEvent::TokenExpired)]);
    assert_eq!(sdk.poll_timeout(), None, "no reconnect: the app must log in with a new token");
    // The binding is still on the server: a logout now must reach it.
    let o = app(&mut sdk, 100_010, AppCall::Logout);
    assert!(o.contains(&SdkOutput::Connect), "{o:?}");
}
