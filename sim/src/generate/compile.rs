//! Turning raw draws into a timed scenario: each device's story, the faults, and the
//! heal-and-settle that ends every world.

use super::*;
use std::collections::BTreeMap;
use zimsim_reference::ids::DeviceId;
use zimsim_reference::push_services;
use zimsim_reference::push_services::resources::PushResource;
use zimsim_reference::wire::{NotificationStatus, OfflinePushRule, VoipConfig};

/// The timing of generated worlds: a 60 ms step with latencies of 60–120 ms, so a run costs
/// a small fraction of a 1 ms one (docs/benchmarks.md has the measurements); presence times
/// out after 15 s. A login then takes a few hundred milliseconds, which the kill-after-login
/// op spans.
/// With faults the settle is longer: a phone back from a dead network reconnects after its
/// SDK's backoff (up to 8 s) and then syncs.
fn config(mix: FaultMix, draw: &Draw) -> ScenarioConfig {
    ScenarioConfig {
        token_lifetime_ms: draw.token_lifetime_ms,
        login_policy: draw.login_policy,
        heartbeat_interval_ms: 5_000,
        heartbeat_timeout_ms: HEARTBEAT_TIMEOUT_MS,
        settle_ms: if mix == FaultMix::None { 10_000 } else { 15_000 },
        min_latency_ms: 60,
        max_latency_ms: 120,
        tick_ms: 60,
        push_ttl_s: draw.push_ttl_s,
        push_resources: match draw.data_pushes {
            true => [(DATA_RESOURCE.to_owned(), PushResource::data_message())].into(),
            false => BTreeMap::new(),
        },
    }
}

const HEARTBEAT_TIMEOUT_MS: u64 = 15_000;

/// The Away a world's [`SlowPush`] is aimed at, as (device, op index), and how late the
/// vendor answers. Only an Away before the device's last op (deleting the app) happens.
/// `channels` is each device's push service, in draw order.
fn aimed(draw: &Draw, channels: &[Option<Vendor>]) -> Option<((usize, usize), u64)> {
    let aim = draw.slow_push?;
    let mut aways: Vec<((usize, usize), bool)> = (draw.devices.iter().enumerate())
        .flat_map(|(n, (_, ops))| {
            let once = channels[n].is_some_and(push_services::dedups_retries);
            let played = ops.iter().take_while(|(_, op)| *op != Op::DeleteApp);
            let away = played.enumerate().filter(|(_, (_, op))| matches!(op, Op::Away { .. }));
            away.map(move |(k, _)| ((n, k), once))
        })
        .collect();
    if aim.once && aways.iter().any(|(_, once)| *once) {
        aways.retain(|(_, once)| *once);
    }
    (!aways.is_empty()).then(|| (aways[aim.away % aways.len()].0, aim.ms))
}

/// What the generator knows of a device while it writes its steps: enough to end with a
/// heal that brings it back, not a model of the SDK.
#[derive(Default)]
struct Track {
    running: bool,
    logged_in: Option<usize>,
    last_user: Option<usize>,
    /// The user logged out on purpose (and has not logged in since): they stay out.
    chose_logout: bool,
    /// The app was deleted and not installed again: the phone stays without it.
    deleted: bool,
}

impl Track {
    fn follow(&mut self, action: &Action) {
        match action {
            Action::Device(crate::scenario::DeviceStep::LaunchApp) => (self.running, self.deleted) = (true, false),
            Action::Device(crate::scenario::DeviceStep::KillApp) => (self.running, self.logged_in) = (false, None),
            // A fresh install has no session to restore: whoever logs in next is a choice.
            Action::Device(crate::scenario::DeviceStep::UninstallApp) => {
                (self.running, self.logged_in, self.chose_logout, self.deleted) = (false, None, false, true)
            }
            Action::App(AppCall::Login { user, .. }) if self.running && self.logged_in.is_none() => {
                let i = user.as_str()[1..].parse().unwrap_or(0);
                (self.logged_in, self.last_user, self.chose_logout) = (Some(i), Some(i), false);
            }
            Action::App(AppCall::Logout) => (self.logged_in, self.chose_logout) = (None, true),
            _ => {}
        }
    }
}

/// Turns raw choices into a scenario: each device starts (launch, push setup, register,
/// login as its home user), plays its ops while the faults come and go, and then the world
/// heals: every fault repaired, every network back, every device relaunched and logged
/// back in.
pub fn compile(name: &str, draw: &Draw, users: usize, mix: FaultMix) -> Scenario {
    let user = |i: usize| UserId::new(format!("u{}", i % users.max(1)));
    let mut devices = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut tracks = Vec::new();
    let mut chaos_end = 0;
    let mut sent = 0;
    // Each device's push service: the one owner of that choice is `ZpnsConfig::channel`.
    let channels: Vec<Option<Vendor>> = draw.devices.iter().map(|(d, _)| d.zpns.channel(d.platform, d.brand)).collect();
    let aimed = aimed(draw, &channels);
    // The aimed slow push's steps (its fault and its send), and the host and time it slows.
    let mut aimed_steps = Vec::new();
    let mut slowed: Option<(&'static str, u64)> = None;
    let mut hosts = BTreeMap::new();
    for (n, (d, ops)) in draw.devices.iter().enumerate() {
        let id = format!("d{n}-{}-{}", platform_name(d.platform, d.brand), build_name(d.build));
        devices.push(DeviceSpec {
            id: id.as_str().into(),
            platform: d.platform,
            brand: d.brand,
            build: d.build,
            deny_notifications: false,
        });
        let channel = channels[n];
        let host = channel.map(|vendor| topology::vendor_host(vendor, d.build.environment()).name);
        hosts.insert(id.clone(), (channel, host));
        let mut track = Track::default();
        let mut at = 100 + 10 * n as u64;
        let mut push = |at: u64, action: Action, track: &mut Track| {
            track.follow(&action);
            steps.push(Step::on(at, id.as_str(), action));
        };
        push(at, Action::LAUNCH_APP, &mut track);
        for action in setup(d) {
            push(at, action, &mut track);
        }
        // The first devices cover every user, so nobody is a recipient who never logs in.
        let home = if n < users { n } else { d.home_user };
        push(at + 200, Action::login(user(home)), &mut track);
        if n + 1 == draw.devices.len() {
            // Once everyone's first login is in, the last device to log in (so nobody's
            // login kicks it out first) opens a group for all.
            let members = (0..users).filter(|u| *u != home).map(user).collect();
            let call =
                AppCall::CreateGroup { group_id: Some(group_id(0).as_str().into()), name: "all".into(), members };
            push(at + 1_500, Action::App(call), &mut track);
        }
        at += 2_000;
        for (k, (gap, op)) in ops.iter().enumerate() {
            at += gap;
            match *op {
                Op::Send { to, push: with_push, voip } => {
                    let me = ready(d, &mut at, &mut track, home, &mut push);
                    let to = other(to, me);
                    sent += 1;
                    let text = format!("m{sent} from {id}");
                    let config = with_push.then(|| push_config(&text, sent, voip.then(|| user(me)), draw.data_pushes));
                    push(at, Action::send(user(to), text.clone(), config), &mut track);
                }
                Op::GroupSend { group, push: with_push, voip } => {
                    let me = ready(d, &mut at, &mut track, home, &mut push);
                    sent += 1;
                    let text = format!("m{sent} from {id} to {}", group_id(group));
                    let config = with_push.then(|| push_config(&text, sent, voip.then(|| user(me)), draw.data_pushes));
                    let message = Outgoing {
                        conv_type: ConversationType::Group,
                        ..Outgoing::text(group_id(group), text.clone(), config)
                    };
                    push(at, Action::send_message(message), &mut track);
                }
                Op::JoinGroup { group } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    push(at, Action::App(AppCall::JoinGroup { group_id: group_id(group).as_str().into() }), &mut track);
                }
                Op::LeaveGroup { group } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    push(
                        at,
                        Action::App(AppCall::LeaveGroup { group_id: group_id(group).as_str().into() }),
                        &mut track,
                    );
                }
                Op::CreateGroup { group, with } => {
                    let me = ready(d, &mut at, &mut track, home, &mut push);
                    let members = vec![user(other(with, me))];
                    let call = AppCall::CreateGroup {
                        group_id: Some(group_id(group).as_str().into()),
                        name: String::new(),
                        members,
                    };
                    push(at, Action::App(call), &mut track);
                }
                Op::DismissGroup { group } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    push(
                        at,
                        Action::App(AppCall::DismissGroup { group_id: group_id(group).as_str().into() }),
                        &mut track,
                    );
                }
                Op::RoomVisit { stay_ms, drop } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    let room_id = ROOM;
                    let enter = AppCall::EnterRoom { room_id: room_id.into() };
                    push(at, Action::App(enter), &mut track);
                    let mut say = |at: u64| {
                        sent += 1;
                        let text = format!("m{sent} from {id} in {room_id}");
                        let config = Some(push_config(&text, sent, None, draw.data_pushes));
                        let message =
                            Outgoing { conv_type: ConversationType::Room, ..Outgoing::text(room_id, text, config) };
                        (at, Action::send_message(message))
                    };
                    let (t, a) = say(at + 300);
                    push(t, a, &mut track);
                    if drop {
                        push(at + 400, Action::KILL_APP, &mut track);
                        at += 20_400;
                    } else {
                        let (t, a) = say(at + 300 + stay_ms);
                        push(t, a, &mut track);
                        let leave = AppCall::LeaveRoom { room_id: room_id.into() };
                        push(at + 400 + stay_ms, Action::App(leave), &mut track);
                        at += stay_ms + 400;
                    }
                }
                Op::Command { to } => {
                    let me = ready(d, &mut at, &mut track, home, &mut push);
                    let body = MessageBody::Command { data: "typing".into() };
                    let message = Outgoing { body, ..Outgoing::text(user(other(to, me)).as_str(), "", None) };
                    push(at, Action::send_message(message), &mut track);
                }
                Op::Mute { with, on, group } => {
                    let me = ready(d, &mut at, &mut track, home, &mut push);
                    let status = if on { NotificationStatus::DoNotDisturb } else { NotificationStatus::Notify };
                    let (to, conv_type) = match group {
                        true => (group_id(0), ConversationType::Group),
                        false => (user(other(with, me)).as_str().to_owned(), ConversationType::Peer),
                    };
                    let call = AppCall::SetNotificationStatus { to, conv_type, status };
                    push(at, Action::App(call), &mut track);
                    push(at + 500, Action::KILL_APP, &mut track);
                    at += 20_500;
                }
                Op::PushRule { online, silenced } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    let mut online = platforms(online);
                    if !online.contains(&d.platform) {
                        online.push(d.platform);
                    }
                    let silenced = platforms(silenced);
                    let rule = match silenced.is_empty() {
                        true => OfflinePushRule::default(),
                        false => OfflinePushRule {
                            online_platforms: online,
                            not_to_receive_offline_push_platforms: silenced,
                        },
                    };
                    push(at, Action::App(AppCall::UpdateOfflinePushRule { rule }), &mut track);
                }
                Op::SetBadge { badge } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    push(at, Action::App(AppCall::SetBadge { badge: badge.into() }), &mut track);
                }
                Op::Custom { to, priority } => {
                    let me = ready(d, &mut at, &mut track, home, &mut push);
                    sent += 1;
                    let body = MessageBody::Custom {
                        message: format!("{{\"m\":{sent}}}"),
                        sub_type: 7,
                        searched_content: String::new(),
                    };
                    let config = Some(push_config(&format!("m{sent} from {id}"), sent, None, draw.data_pushes));
                    let message =
                        Outgoing { body, priority, ..Outgoing::text(user(other(to, me)).as_str(), "", config) };
                    push(at, Action::send_message(message), &mut track);
                }
                Op::Kill => push(at, Action::KILL_APP, &mut track),
                Op::Launch => push(at, Action::LAUNCH_APP, &mut track),
                Op::Register => push(at, register(d), &mut track),
                Op::Login { user: u } => push(at, Action::login(user(u)), &mut track),
                Op::Logout => push(at, Action::LOGOUT, &mut track),
                Op::SwitchWithLogout { user: u } => {
                    push(at, Action::LOGOUT, &mut track);
                    push(at + 500, Action::login(user(u)), &mut track);
                }
                Op::SwitchWithoutLogout { user: u, register: with_register } => {
                    push(at, Action::KILL_APP, &mut track);
                    push(at + 300, Action::LAUNCH_APP, &mut track);
                    if with_register {
                        for action in setup(d) {
                            push(at + 300, action, &mut track);
                        }
                    }
                    push(at + 600, Action::login(user(u)), &mut track);
                }
                Op::QuickLoginLogout { user: u } => {
                    push(at, Action::login(user(u)), &mut track);
                    push(at + 5, Action::LOGOUT, &mut track);
                    push(at + 10, Action::login(user(u)), &mut track);
                }
                Op::KillAfterLogin { user: u, after_ms } => {
                    push(at, Action::login(user(u)), &mut track);
                    push(at + after_ms, Action::KILL_APP, &mut track);
                }
                Op::RenewToken => push(at, Action::App(AppCall::RenewToken { token: None }), &mut track),
                Op::LogoutThenKill => {
                    push(at, Action::LOGOUT, &mut track);
                    push(at, Action::KILL_APP, &mut track);
                }
                Op::RefreshPushToken => push(at, Action::REFRESH_PUSH_TOKEN, &mut track),
                Op::Behind { for_ms, freeze, tap } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    push(at, Action::BACKGROUND, &mut track);
                    if freeze {
                        push(at + 100, Action::FREEZE, &mut track);
                    }
                    at += for_ms;
                    if tap {
                        push(at, Action::TAP_NOTIFICATION, &mut track);
                    }
                    push(at, Action::FOREGROUND, &mut track); // nothing to do after a tap
                }
                Op::Unregister => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    push(at, Action::UNREGISTER_PUSH, &mut track);
                }
                Op::DeleteApp => {
                    // Its user gives up on the app: nothing more happens on this phone.
                    push(at, Action::UNINSTALL_APP, &mut track);
                    break;
                }
                // Away: the app is killed; Reinstall: deleted, so it comes back empty and its
                // user logs in again.
                Op::Away { mut for_ms, .. } | Op::Reinstall { mut for_ms } => {
                    let gone =
                        if matches!(op, Op::Reinstall { .. }) { Action::UNINSTALL_APP } else { Action::KILL_APP };
                    let unreachable = matches!(op, Op::Away { unreachable: true, .. });
                    // The user the phone's PushID is bound to while it is away, if any.
                    let bound = track.last_user.filter(|_| !track.chose_logout);
                    if let (Some(((an, ak), ms)), Some(u), Some(host)) = (aimed, bound, host) {
                        if (an, ak) == (n, k) {
                            // Once its user is offline, the app's backend writes to them and
                            // the vendor answers that push late; the phone stays away until
                            // the relay's retry has come and gone.
                            let t = at + HEARTBEAT_TIMEOUT_MS + 1_000;
                            let slow = WorldStep::VendorFail {
                                host: host.to_owned(),
                                status: None,
                                count: 1,
                                retry_after_s: None,
                                slow_ms: Some(ms),
                            };
                            aimed_steps.push(Step::world(t - 100, slow));
                            sent += 1;
                            let send = BackendStep::ServerSend {
                                from: "system".into(),
                                to: vec![user(u)],
                                text: format!("m{sent} from the backend"),
                                push: true,
                            };
                            aimed_steps.push(Step { at_ms: t, device: None, action: Action::Backend(send) });
                            slowed = Some((host, t - 100));
                            for_ms = for_ms.max(t - at + REQUEST_TIMEOUT_MS + 6_000);
                        }
                    }
                    push(at, gone, &mut track);
                    if unreachable {
                        push(at + 100, Action::NETWORK_OFF, &mut track);
                    }
                    at += for_ms;
                    if unreachable {
                        push(at - 100, Action::NETWORK_ON, &mut track);
                    }
                    push(at, Action::LAUNCH_APP, &mut track);
                    for action in setup(d) {
                        push(at, action, &mut track);
                    }
                    if !track.chose_logout {
                        let me = track.last_user.unwrap_or(home);
                        push(at + 200, Action::login(user(me)), &mut track);
                    }
                }
            }
            at += 1_000; // the longest op spans 600 ms
        }
        chaos_end = chaos_end.max(at);
        tracks.push((id, d.clone(), track));
    }
    let heal = chaos_end + 1_000;
    steps.extend(aimed_steps);
    // Where the slowed vendor delivers a retried send twice, the second delivery takes the
    // first one's place in the tray, unless the user tapped that away in between: then
    // the phone shows the message again, a duplicate no relay can prevent there. So from
    // the slow answer on, nobody taps a notification on that vendor's phones.
    if let Some((host, from)) = slowed {
        let twice = |id: &DeviceId| {
            hosts.get(id.as_str()).is_some_and(|&(vendor, h)| {
                h == Some(host) && vendor.is_some_and(|v| !push_services::dedups_retries(v))
            })
        };
        steps.retain(|s| {
            !(s.at_ms >= from && s.action == Action::TAP_NOTIFICATION && s.device.as_ref().is_some_and(twice))
        });
    }

    // Faults, each ended by its own repair or at the latest by the heal.
    // Faults hit the vendors this world's phones use (the others are not started).
    let vendors = crate::scenario::vendor_hosts(&devices);
    let (links, hosts) = (links(&vendors), crashable(mix, &vendors));
    let mut offline = vec![false; devices.len()];
    let mut at = 2_000;
    for (gap, fault) in &draw.faults {
        at += gap;
        if at >= chaos_end {
            break;
        }
        let end = |for_ms: u64| (at + for_ms < heal).then_some(at + for_ms);
        match *fault {
            Fault::Partition { link, for_ms } => {
                let (a, b) = links[link % links.len()];
                let (a, b) = (a.to_owned(), b.to_owned());
                steps.push(Step::world(at, WorldStep::Partition { a: a.clone(), b: b.clone() }));
                if let Some(end) = end(for_ms) {
                    steps.push(Step::world(end, WorldStep::Repair { a, b }));
                }
            }
            Fault::Crash { host, for_ms } => {
                let host = hosts[host % hosts.len()].to_owned();
                steps.push(Step::world(at, WorldStep::Crash { host: host.clone() }));
                if let Some(end) = end(for_ms) {
                    steps.push(Step::world(end, WorldStep::Bounce { host }));
                }
            }
            Fault::Latency { link, ms } => {
                let (a, b) = links[link % links.len()];
                steps.push(Step::world(at, WorldStep::Latency { a: a.into(), b: b.into(), ms }));
            }
            Fault::VendorFail { vendor, status, count, retry_after_s } => {
                let Some(host) = vendors.get(vendor % vendors.len().max(1)) else { continue };
                let host = host.name.to_owned();
                let (status, slow_ms) = (Some(status), None);
                steps.push(Step::world(at, WorldStep::VendorFail { host, status, count, retry_after_s, slow_ms }));
            }
            Fault::VendorSlow { vendor, count, ms } => {
                // A vendor that dedups retried sends when the world has one: only there may
                // an answer come after the relay's timeout (see below).
                let dedup: Vec<_> = vendors.iter().filter(|v| push_services::dedups_retries(v.vendor)).collect();
                let pool: Vec<_> = if dedup.is_empty() { vendors.iter().collect() } else { dedup };
                let Some(host) = pool.get(vendor % pool.len().max(1)) else { continue };
                // Past the relay's timeout only where a retry is delivered once: elsewhere
                // the vendor delivers both tries. The second replaces the first in the tray
                // (same collapse ID, tag or notify_id), but one tapped away in between shows
                // again, a duplicate no relay can prevent there (docs/scenarios.md).
                let ms = match push_services::dedups_retries(host.vendor) {
                    true => ms,
                    false => ms.min(REQUEST_TIMEOUT_MS - 1_000),
                };
                let (host, retry_after_s) = (host.name.to_owned(), None);
                let step = WorldStep::VendorFail { host, status: None, count, retry_after_s, slow_ms: Some(ms) };
                steps.push(Step::world(at, step));
            }
            Fault::NetworkOff { device, for_ms } => {
                let Some(spec) = devices.get(device % devices.len().max(1)) else { continue };
                steps.push(Step::on(at, spec.id.clone(), Action::NETWORK_OFF));
                match end(for_ms) {
                    Some(end) => steps.push(Step::on(end, spec.id.clone(), Action::NETWORK_ON)),
                    None => offline[device % devices.len()] = true,
                }
            }
        }
    }

    // The app's backend: a few signed sends from its system account during the chaos.
    let mut at = 3_000;
    for (gap, to, with_push) in &draw.backend {
        at += gap;
        if at >= chaos_end {
            break;
        }
        sent += 1;
        let to: std::collections::BTreeSet<UserId> = to.iter().map(|u| user(*u)).collect();
        let send = BackendStep::ServerSend {
            from: "system".into(),
            to: to.into_iter().collect(),
            text: format!("m{sent} from the backend"),
            push: *with_push,
        };
        steps.push(Step { at_ms: at, device: None, action: Action::Backend(send) });
    }

    // Heal and settle: the world is repaired, and every device comes back, registered and
    // logged in as its last user.
    // Always there, even with nothing to repair: it marks where the chaos ends (the
    // shrinker keeps everything from here on).
    steps.push(Step::world(heal, WorldStep::Heal));
    for (n, (id, d, mut track)) in tracks.into_iter().enumerate() {
        let mut at_heal = |at: u64, action: Action, track: &mut Track| {
            track.follow(&action);
            steps.push(Step::on(at, id.as_str(), action));
        };
        if offline[n] {
            at_heal(heal, Action::NETWORK_ON, &mut track);
        }
        if track.deleted {
            continue; // its user deleted the app and never came back
        }
        if !track.running {
            at_heal(heal, Action::LAUNCH_APP, &mut track);
            for action in setup(&d) {
                at_heal(heal, action, &mut track);
            }
        }
        match (track.logged_in, track.last_user) {
            (None, Some(u)) => at_heal(heal + 500, Action::login(user(u)), &mut track),
            // The session may have expired with its token (the generator does not model
            // when): the app logs in again, which an SDK still logged in refuses (6000111).
            (Some(u), _) if draw.token_lifetime_ms < DAY_MS => {
                steps.push(Step::on(heal + 500, id.as_str(), Action::login(user(u))))
            }
            _ => {}
        }
    }
    // The builder orders the steps (stably: each device's same-time steps keep their order).
    let mut b = ScenarioBuilder::new(name).config(config(mix, draw));
    b = devices.into_iter().fold(b, ScenarioBuilder::spec);
    steps.into_iter().fold(b, ScenarioBuilder::step).build()
}

/// Makes the device's user ready to act: the app opened and logged in (unless the user
/// logged out on purpose). Returns the user's index: whoever acts is logged in, so a
/// world whose sends mostly fail checks little.
fn ready(
    d: &DeviceDraw,
    at: &mut u64,
    track: &mut Track,
    home: usize,
    push: &mut impl FnMut(u64, Action, &mut Track),
) -> usize {
    if !track.running {
        push(*at, Action::LAUNCH_APP, track);
        for action in setup(d) {
            push(*at, action, track);
        }
    }
    // The app logs in whenever it is not sure it still is (another install's login may
    // have kicked it out): an SDK still logged in refuses with 6000111, harmlessly.
    if !track.chose_logout {
        let me = track.logged_in.or(track.last_user).unwrap_or(home);
        push(*at + 200, Action::login(UserId::new(format!("u{me}"))), track);
        *at += 800;
    }
    track.logged_in.unwrap_or(home)
}

/// User `to`, or the next one if that is `me` (nobody writes to themself).
fn other(to: usize, me: usize) -> usize {
    if to == me {
        to + 1
    } else {
        to
    }
}

/// A push config; every other one sets the badge (+1 or +2). With a `caller` it is a call
/// invitation's: it has a VoIP config (a video call one time in three). With `data_pushes`
/// one in two names the console's data-message resource (half of those with a badge).
fn push_config(text: &str, n: usize, caller: Option<UserId>, data_pushes: bool) -> PushConfig {
    let voip =
        caller.map(|c| VoipConfig { handle_type: 1, handle_value: c.as_str().to_owned(), has_video: n % 3 == 0 });
    let resources_id = if data_pushes && n / 2 % 2 == 1 { DATA_RESOURCE.to_owned() } else { String::new() };
    let push = PushConfig { voip, resources_id, ..PushConfig::new("New message", text, format!("p{n}")) };
    match n % 2 {
        0 => PushConfig { enable_badge: true, badge_increment: (n % 4 / 2 + 1) as u32, ..push },
        _ => push,
    }
}

/// What an app does at launch before logging in: push config, debug flag, registerPush.
fn setup(d: &DeviceDraw) -> Vec<Action> {
    let mut actions = Vec::new();
    if d.platform != Platform::Ios {
        actions.push(Action::set_push_config(d.zpns));
        actions.push(Action::enable_debug(d.build == Build::Debug));
    }
    actions.push(register(d));
    actions
}

fn register(d: &DeviceDraw) -> Action {
    let ios_environment = match (d.explicit_ios_environment, d.build) {
        (false, _) => IosEnvironment::Automatic,
        (true, Build::Debug) => IosEnvironment::Development,
        (true, Build::Release) => IosEnvironment::Production,
    };
    Action::App(AppCall::RegisterPush { ios_environment, enable_ios_voip: d.ios_voip })
}

/// The device's kind in its ID: the platform, or an Android phone's maker.
fn platform_name(p: Platform, brand: Brand) -> &'static str {
    match (p, brand) {
        (Platform::Ios, _) => "ios",
        (Platform::Android, Brand::Google) => "android",
        (Platform::Android, Brand::Huawei) => "huawei",
        (Platform::Android, Brand::Xiaomi) => "xiaomi",
        (Platform::Android, Brand::Oppo) => "oppo",
        (Platform::Android, Brand::Vivo) => "vivo",
        (Platform::Web, _) => "web",
    }
}

fn build_name(b: Build) -> &'static str {
    match b {
        Build::Debug => "debug",
        Build::Release => "release",
    }
}
