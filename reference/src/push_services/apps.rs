//! The app's registration with every push vendor, in each environment: the IDs its builds
//! carry (what the phone's OS asks tokens under) and the secrets ZEGO's console holds (what
//! the relay signs in with). One owner for all of it: the world configures each fake from
//! it, devices ask for tokens with it, and the relay authenticates with it, so the three
//! can never disagree on which app ID belongs to which environment. The console's push
//! resources ([`super::resources`]) live here too: the relay maps each push by them.

use super::apns::{Apns, ProviderKey};
use super::fcm::{Fcm, ServiceAccount};
use super::resources::PushResource;
use super::{fcm, hms, hms::Hms, mi::Mi, oppo, oppo::Oppo, vivo, vivo::Vivo, DynVendor};
use crate::http::HttpRequest;
use crate::pushid::{Environment, Vendor};
use crate::topology::VendorHost;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One value per environment: the debug build's and the release build's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByEnv<T> {
    pub development: T,
    pub production: T,
}

impl<T> ByEnv<T> {
    pub fn get(&self, env: Environment) -> &T {
        match env {
            Environment::Development => &self.development,
            Environment::Production => &self.production,
        }
    }

    /// Both, development first.
    pub fn iter(&self) -> impl Iterator<Item = (Environment, &T)> {
        [(Environment::Development, &self.development), (Environment::Production, &self.production)].into_iter()
    }
}

/// An app as an Android vendor knows it. Each vendor uses its own subset: HMS the app ID
/// and client secret; Xiaomi the app ID and AppSecret; OPPO the app key and master secret;
/// vivo all three.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorApp {
    pub id: String,
    pub key: String,
    pub secret: String,
}

impl VendorApp {
    fn new(id: &str, key: &str, secret: &str) -> VendorApp {
        VendorApp { id: id.into(), key: key.into(), secret: secret.into() }
    }
}

/// Which APNs signing key: its team, its key ID, and the seed its private key is drawn
/// from (a simulator's key; real ones come from Apple's developer portal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApnsKey {
    pub team_id: String,
    pub key_id: String,
    pub seed: u64,
}

/// The app's identity and credentials at every vendor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushApps {
    /// The iOS bundle ID (`apns-topic`) and the Android package name: one app.
    pub bundle: String,
    /// The team's APNs signing key (`.p8`): one key serves both environments.
    pub apns_key: ApnsKey,
    /// The FCM sender project of each build; each has its own service account.
    pub fcm: ByEnv<String>,
    pub hms: ByEnv<VendorApp>,
    pub mi: ByEnv<VendorApp>,
    pub oppo: ByEnv<VendorApp>,
    pub vivo: ByEnv<VendorApp>,
    /// The console's push resources by `resourcesID`.
    pub resources: BTreeMap<String, PushResource>,
}

/// What a push without a known `resourcesID` gets.
static DEFAULT_RESOURCE: std::sync::LazyLock<PushResource> = std::sync::LazyLock::new(PushResource::default);

impl Default for PushApps {
    fn default() -> Self {
        let pair = |dev: VendorApp, prod: VendorApp| ByEnv { development: dev, production: prod };
        PushApps {
            bundle: "im.zego.zimsim.demo".into(),
            apns_key: ApnsKey { team_id: "ZS7EAMID42".into(), key_id: "ZS8KEYID01".into(), seed: 0x5eed_a995 },
            fcm: ByEnv { development: "zimsim-debug".into(), production: "zimsim-release".into() },
            hms: pair(
                VendorApp::new("104000001", "", "hms-debug-client-secret"),
                VendorApp::new("104000002", "", "hms-release-client-secret"),
            ),
            mi: pair(
                VendorApp::new("2882303761520000001", "5152000000001", "mi-debug-app-secret=="),
                VendorApp::new("2882303761520000002", "5152000000002", "mi-release-app-secret=="),
            ),
            oppo: pair(
                VendorApp::new("30000001", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "oppo-debug-master-secret"),
                VendorApp::new("30000002", "f9e8d7c6b5a4938271605f4e3d2c1b0a", "oppo-release-master-secret"),
            ),
            vivo: pair(
                VendorApp::new("105000001", "vivo-debug-app-key", "vivo-debug-app-secret"),
                VendorApp::new("105000002", "vivo-release-app-key", "vivo-release-app-secret"),
            ),
            resources: BTreeMap::new(),
        }
    }
}

impl PushApps {
    /// What the OS of a device running the `env` build asks its `vendor` token under: the
    /// FCM sender project, the HMS, Xiaomi or vivo app ID, the OPPO app key (`None` for
    /// APNs, whose tokens are per device and bundle, and whose environment is the host's).
    pub fn project(&self, vendor: Vendor, env: Environment) -> Option<&str> {
        match vendor {
            Vendor::Apns => None,
            Vendor::Fcm => Some(self.fcm.get(env)),
            Vendor::Hms => Some(&self.hms.get(env).id),
            Vendor::Mi => Some(&self.mi.get(env).id),
            Vendor::Oppo => Some(&self.oppo.get(env).key),
            Vendor::Vivo => Some(&self.vivo.get(env).id),
        }
    }

    /// The console's strategy for `resources_id`: the defaults when it names none the
    /// console knows (reference policy, docs/policies.md).
    pub fn resource(&self, resources_id: &str) -> &PushResource {
        self.resources.get(resources_id).unwrap_or(&DEFAULT_RESOURCE)
    }

    /// The APNs signing key the relay mints provider tokens with.
    pub fn apns_signing_key(&self) -> ProviderKey {
        ProviderKey::from_seed(&self.apns_key.team_id, &self.apns_key.key_id, self.apns_key.seed)
    }

    /// The service account of the `env` FCM project (the simulator's test keys: the
    /// debug project signs with the first, the release project with the second).
    pub fn fcm_account(&self, env: Environment) -> ServiceAccount {
        let n = match env {
            Environment::Development => 0,
            Environment::Production => 1,
        };
        ServiceAccount::test(self.fcm.get(env), n)
    }

    /// The request for an access token of the `env` app at `vendor`'s token endpoint, for
    /// the vendors whose send API takes one ([`super::takes_access_token`]).
    pub fn auth_request(&self, vendor: Vendor, env: Environment, now_unix_ms: u64) -> Option<HttpRequest> {
        match vendor {
            Vendor::Apns | Vendor::Mi => None,
            Vendor::Fcm => Some(fcm::contract::auth_request(&self.fcm_account(env), now_unix_ms / 1000)),
            Vendor::Hms => Some(hms::contract::auth_request(&self.hms.get(env).id, &self.hms.get(env).secret)),
            Vendor::Oppo => {
                let app = self.oppo.get(env);
                Some(oppo::contract::auth_request(&app.key, &app.secret, now_unix_ms))
            }
            Vendor::Vivo => {
                let app = self.vivo.get(env);
                Some(vivo::contract::auth_request(&app.id, &app.key, &app.secret, now_unix_ms))
            }
        }
    }

    /// The fake that plays `host`, knowing this app in both environments.
    pub fn fake(&self, host: VendorHost, seed: u64) -> DynVendor {
        // Each fake keys its apps by what a token request names ([`PushApps::project`]).
        let by_project = |pick: fn(&VendorApp) -> (&str, &str)| -> BTreeMap<String, (String, Environment)> {
            let apps = match host.vendor {
                Vendor::Hms => &self.hms,
                Vendor::Mi => &self.mi,
                _ => &self.oppo,
            };
            apps.iter().map(|(env, app)| (pick(app).0.to_owned(), (pick(app).1.to_owned(), env))).collect()
        };
        match host.vendor {
            Vendor::Apns => {
                let env = host.env.unwrap_or(Environment::Production);
                Box::new(Apns::new(env, seed, [self.apns_signing_key().public()]))
            }
            Vendor::Fcm => Box::new(Fcm::new(
                self.fcm.iter().map(|(env, p)| (p.clone(), env)).collect(),
                seed,
                self.fcm.iter().map(|(env, _)| self.fcm_account(env).public()),
            )),
            Vendor::Hms => Box::new(Hms::new(by_project(|a| (&a.id, &a.secret)), seed)),
            Vendor::Mi => Box::new(Mi::new(by_project(|a| (&a.id, &a.secret)), seed)),
            Vendor::Oppo => Box::new(Oppo::new(by_project(|a| (&a.key, &a.secret)), seed)),
            Vendor::Vivo => Box::new(Vivo::new(
                self.vivo.iter().map(|(env, a)| (a.id.clone(), (a.key.clone(), a.secret.clone(), env))).collect(),
                seed,
            )),
        }
    }
}
