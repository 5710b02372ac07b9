//! A fake vendor's shell: the provider API over HTTP (APNs: HTTP/2 only; FCM: HTTP/1.1 and
//! HTTP/2) and the device channel, framed JSON over TCP, both feeding one vendor core.
//!
//! The core is the vendor's durable storage (tokens, stored notifications) and outlives
//! the shell: a crashed and restarted host runs a new shell over the same core, which
//! first learns that every channel is gone.

use super::run_timer;
use crate::framed::{write_frame, FrameReader};
use crate::http::{serve, Pending, Protocols};
use crate::net::Listener;
use crate::trace::{Env, Event, Source};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;
use tokio::sync::{mpsc, Notify};
use zimsim_reference::core::ApiRequest;
use zimsim_reference::http::HttpRequest;
use zimsim_reference::ids::ConnId;
use zimsim_reference::push_services::{DeviceToVendor, DynVendor, VendorInput, VendorOutput, VendorToDevice};
use zimsim_reference::pushid::Vendor;
use zimsim_reference::topology::VendorHost;

struct Shell {
    core: Rc<RefCell<DynVendor>>,
    channels: RefCell<BTreeMap<ConnId, mpsc::UnboundedSender<VendorToDevice>>>,
    pending: Pending,
    rearm: Rc<Notify>,
    env: Rc<dyn Env>,
    src: Source,
}

/// Runs the vendor of `host` until the task is dropped. APNs speaks HTTP/2 only; the
/// other vendors HTTP/1.1 and HTTP/2.
pub async fn run<A: Listener, D: Listener>(
    api: A,
    devices: D,
    host: VendorHost,
    core: Rc<RefCell<DynVendor>>,
    env: Rc<dyn Env>,
) -> io::Result<()> {
    let src = host.name;
    let protocols = if host.vendor == Vendor::Apns { Protocols::Http2 } else { Protocols::Auto };
    tracing::debug!(vendor = src, "vendor front end starting over its durable storage");
    let shell = Rc::new(Shell {
        core,
        channels: RefCell::default(),
        pending: Pending::default(),
        rearm: Rc::new(Notify::new()),
        env,
        src: Source::Host(src),
    });
    feed(&shell, VendorInput::Restart);
    let (deadline, fire) = (shell.clone(), shell.clone());
    tokio::task::spawn_local(run_timer(
        move || deadline.core.borrow().poll_timeout(),
        move |_| feed(&fire, VendorInput::Tick),
        shell.rearm.clone(),
        shell.env.clone(),
    ));
    tokio::task::spawn_local(accept_devices(devices, shell.clone()));
    let handler = Rc::new(move |request: HttpRequest| {
        let (id, answer) = shell.pending.open();
        feed(&shell, VendorInput::Api(ApiRequest { id, request }));
        Box::pin(answer) as _
    });
    serve(api, protocols, handler).await
}

async fn accept_devices<D: Listener>(mut listener: D, shell: Rc<Shell>) {
    let mut next = 1;
    while let Ok(stream) = listener.accept().await {
        let channel = ConnId(next);
        next += 1;
        let (read, mut write) = tokio::io::split(stream);
        let (tx, mut rx) = mpsc::unbounded_channel::<VendorToDevice>();
        shell.channels.borrow_mut().insert(channel, tx);
        feed(&shell, VendorInput::ChannelOpen { channel });
        let writer = tokio::task::spawn_local(async move {
            while let Some(frame) = rx.recv().await {
                if write_frame(&mut write, &frame).await.is_err() {
                    break;
                }
            }
        });
        let shell = shell.clone();
        tokio::task::spawn_local(async move {
            let mut reader = FrameReader::new(read);
            while let Ok(Some(frame)) = reader.read::<DeviceToVendor>().await {
                feed(&shell, VendorInput::ChannelFrame { channel, frame });
            }
            tracing::trace!(channel = channel.0, "device channel closed");
            shell.channels.borrow_mut().remove(&channel);
            // What the channel left unacknowledged goes out again now.
            feed(&shell, VendorInput::ChannelClose { channel });
            writer.abort();
        });
    }
}

/// Feeds one input at the current time and carries out everything the core asked for.
fn feed(shell: &Shell, input: VendorInput) {
    shell.core.borrow_mut().handle(shell.env.now(), input);
    loop {
        let out = shell.core.borrow_mut().poll_output();
        match out {
            None => break,
            Some(VendorOutput::Respond(answer)) => shell.pending.answer(answer),
            Some(VendorOutput::Event(event)) => shell.env.record(shell.src.clone(), Event::Vendor { event }),
            Some(VendorOutput::ToDevice { channel, frame }) => {
                if let Some(tx) = shell.channels.borrow().get(&channel) {
                    let _ = tx.send(frame);
                }
            }
        }
    }
    shell.rearm.notify_one();
}
