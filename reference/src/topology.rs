//! Where every endpoint lives: the host name and port of the ZIM server, the relay and each
//! vendor endpoint (the same in the simulation and on real sockets), and which vendor
//! endpoint serves an install. This table has one owner, here: the relay names the vendor
//! host it calls, the world starts one host per entry, phones connect by it, and the
//! loopback tests map each entry to a socket address.

use crate::client::{Brand, Build};
use crate::pushid::{Environment, Vendor};
use crate::wire::Platform;

/// One listening endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    pub host: &'static str,
    pub port: u16,
}

/// The ZIM client protocol.
pub const ZIM: Endpoint = Endpoint { host: "zim", port: 9000 };
/// The ZIM server REST API an app's backend calls (`server_api`).
pub const ZIM_API: Endpoint = Endpoint { host: "zim", port: 8000 };
/// The ZPNs relay's HTTP API.
pub const ZPNS: Endpoint = Endpoint { host: "zpns", port: 8080 };
/// The app's backend, which calls the ZIM server REST API ([`ZIM_API`]).
pub const BACKEND: &str = "backend";
/// The hosts the simulated phones run in: devices are dealt round-robin to as many farms
/// as [`farms_for`] says, so a large world spreads over several hosts.
pub const FARMS: [&str; 4] = ["farm-0", "farm-1", "farm-2", "farm-3"];
/// The first farm (the only one in worlds of up to [`DEVICES_PER_FARM`] devices).
pub const FARM: &str = FARMS[0];
/// How many devices one farm host carries before the next one is used.
pub const DEVICES_PER_FARM: usize = 1_000;

/// How many farm hosts a world of `devices` devices uses.
pub fn farms_for(devices: usize) -> usize {
    devices.div_ceil(DEVICES_PER_FARM).clamp(1, FARMS.len())
}

/// Whether `host` is a device farm.
pub fn is_farm(host: &str) -> bool {
    FARMS.contains(&host)
}

/// A push vendor's host: its provider API and the channel its devices keep open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorHost {
    pub name: &'static str,
    pub vendor: Vendor,
    /// The provider API (HTTPS; HTTP/2 for APNs).
    pub api: Endpoint,
    /// The device channel (Apple's and Google's real ports).
    pub devices: Endpoint,
    /// The one environment an APNs host serves; `None` for a host that serves both
    /// (FCM tells them apart by sender project).
    pub env: Option<Environment>,
}

/// Every vendor's provider API listens here (HTTPS).
pub const VENDOR_API_PORT: u16 = 443;

const fn vendor(name: &'static str, vendor: Vendor, device_port: u16, env: Option<Environment>) -> VendorHost {
    VendorHost {
        name,
        vendor,
        api: Endpoint { host: name, port: VENDOR_API_PORT },
        devices: Endpoint { host: name, port: device_port },
        env,
    }
}

pub const APNS_SANDBOX: VendorHost = vendor("apns-sandbox", Vendor::Apns, 5223, Some(Environment::Development));
pub const APNS_PRODUCTION: VendorHost = vendor("apns-production", Vendor::Apns, 5223, Some(Environment::Production));
pub const FCM: VendorHost = vendor("fcm", Vendor::Fcm, 5228, None);
// The device-channel ports of the Android vendors are this simulator's choice: their
// protocols are private. Each host serves the vendor's token endpoint and send API.
pub const HMS: VendorHost = vendor("hms", Vendor::Hms, 5229, None);
pub const MI: VendorHost = vendor("mi", Vendor::Mi, 5230, None);
pub const OPPO: VendorHost = vendor("oppo", Vendor::Oppo, 5231, None);
pub const VIVO: VendorHost = vendor("vivo", Vendor::Vivo, 5232, None);

/// Every vendor host, in the order the world starts them.
pub const VENDORS: [VendorHost; 7] = [APNS_SANDBOX, APNS_PRODUCTION, FCM, HMS, MI, OPPO, VIVO];

/// The APNs host of an environment.
pub fn apns(env: Environment) -> VendorHost {
    match env {
        Environment::Development => APNS_SANDBOX,
        Environment::Production => APNS_PRODUCTION,
    }
}

/// The host that serves `vendor`'s API and device channels for `env` (only APNs has one
/// host per environment; the others tell environments apart by app ID or project).
pub fn vendor_host(vendor: Vendor, env: Environment) -> VendorHost {
    match vendor {
        Vendor::Apns => apns(env),
        Vendor::Fcm => FCM,
        Vendor::Hms => HMS,
        Vendor::Mi => MI,
        Vendor::Oppo => OPPO,
        Vendor::Vivo => VIVO,
    }
}

/// The push services the OS of an install offers its apps, the phone maker's own first:
/// APNs in the build's environment on iOS (the provisioning profile's `aps-environment`),
/// the maker's service and FCM where Google's services are on the phone, FCM in a browser.
pub fn push_services(platform: Platform, brand: Brand, build: Build) -> Vec<VendorHost> {
    match platform {
        Platform::Ios => vec![apns(build.environment())],
        Platform::Web => vec![FCM],
        Platform::Android => {
            let own = brand.vendor().map(|v| vendor_host(v, build.environment()));
            own.into_iter().chain(brand.has_google_services().then_some(FCM)).collect()
        }
    }
}

/// Every host of the world, in the order the world starts them: the names world steps
/// (`partition`, `crash`, ...) may use.
pub fn hosts() -> Vec<&'static str> {
    let mut all = vec![ZIM.host, ZPNS.host];
    all.extend(VENDORS.iter().map(|v| v.name));
    all.extend(FARMS);
    all.push(BACKEND);
    all
}

/// Every endpoint something listens on, for a caller that maps them to sockets.
pub fn endpoints() -> Vec<Endpoint> {
    let mut all = vec![ZIM, ZIM_API, ZPNS];
    for v in VENDORS {
        all.extend([v.api, v.devices]);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_install_is_offered_the_push_services_of_its_platform_brand_and_build() {
        let offered = |p, brand, build| push_services(p, brand, build);
        assert_eq!(offered(Platform::Ios, Brand::Google, Build::Debug), [APNS_SANDBOX]);
        assert_eq!(offered(Platform::Ios, Brand::Huawei, Build::Release), [APNS_PRODUCTION]);
        assert_eq!(offered(Platform::Android, Brand::Google, Build::Debug), [FCM]);
        assert_eq!(offered(Platform::Android, Brand::Huawei, Build::Release), [HMS]);
        assert_eq!(offered(Platform::Android, Brand::Xiaomi, Build::Release), [MI, FCM]);
        assert_eq!(offered(Platform::Android, Brand::Oppo, Build::Debug), [OPPO, FCM]);
        assert_eq!(offered(Platform::Android, Brand::Vivo, Build::Debug), [VIVO, FCM]);
        assert_eq!(offered(Platform::Web, Brand::Vivo, Build::Release), [FCM]);
        assert_eq!(apns(Environment::Development).env, Some(Environment::Development));
        for v in VENDORS {
            assert_eq!(vendor_host(v.vendor, v.env.unwrap_or(Environment::Production)), v);
        }
    }

    #[test]
    fn every_endpoint_is_distinct() {
        let all = endpoints();
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
        assert_eq!(all.len(), 17);
    }
}
