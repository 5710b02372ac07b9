//! Integration tests live in the per-area test binaries (`canonical/`, ...).

/// The invariants the canonical story (and the live flow, which tells the same story on real
/// sockets) leaves vacuous: it has no room, no message without a push config, no kick-out,
/// no muted chat and no push rule.
pub const VACUOUS_IN_CANONICAL: &[&str] = &[
    "room-messages-never-pushed",
    "push-requires-push-config",
    "single-device-kickout",
    "dnd-suppresses-push",
    "push-rule-respected",
    "dead-token-unbound",
    "live-token-retained",
    "callback-per-vendor",
];
