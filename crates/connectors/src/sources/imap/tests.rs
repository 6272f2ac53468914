//! The reader against a real Dovecot, with an in-memory host that records
//! commits (and can refuse them); the committed messages are mapped by
//! this connector's normalizer, the one the registry gives the pipeline
//! for the instance's own id (`registry::tests` checks that).

use super::*;
use crate::runtime::{
    stop_pair, Context, InstanceInfo, Payload, Source, SourceContext, StopHandle,
};
use causeway_core::{Sensitive, SignalStatus};
use causeway_testkit::dovecot::Dovecot;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/mail");

use crate::sources::memory_host::MemoryHost as Memory;

fn config(d: &Dovecot) -> serde_json::Value {
    json!({"host": "127.0.0.1", "port": d.port, "security": "plain",
        "username": d.user, "pollSeconds": 5})
}

fn start(d: &Dovecot, host: Arc<Memory>, password: &str) -> StopHandle {
    start_with(config(d), host, password)
}

fn start_with(config: serde_json::Value, host: Arc<Memory>, password: &str) -> StopHandle {
    let (handle, stop) = stop_pair();
    let secrets = BTreeMap::from([("password".to_string(), Sensitive::new(password.to_string()))]);
    let ctx = SourceContext {
        instance: InstanceInfo {
            id: "imap-test".into(),
            descriptor_id: ID.into(),
            project_id: "default".into(),
            name: "test".into(),
            config,
        },
        host,
        keychain: crate::secrets::Keychain::new("causeway-never-used"),
        stop,
        http: crate::runtime::http_client().unwrap(),
        overrides: Some(Arc::new(Mutex::new(secrets))),
    };
    tokio::spawn(ImapSource.run(ctx));
    handle
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

async fn until(what: &str, d: &Dovecot, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; dovecot log:\n{}",
            d.log()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Maps a committed payload the way the pipeline does: with the
/// instance's own connector (no other is named).
fn mapped(p: &Payload) -> Result<causeway_core::Signal, crate::NormalizeError> {
    assert_eq!(p.connector_id, None);
    let ctx = Context {
        project: "default",
        instance: "imap-test",
        received_at: chrono::Utc::now(),
        raw_ref: "inbox:1",
        headers: &p.headers,
    };
    let mut s = crate::runtime::Normalizer::normalize_bytes(&Mail, &p.body, &ctx)?;
    assert_eq!(s.len(), 1);
    Ok(s.remove(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_problem_mail_fires_its_recovery_resolves_and_each_is_flagged_after_commit() {
    let d = Dovecot::start();
    let problem = d.deliver(&fixture("nagios-service-problem.eml"));
    let host = Arc::new(Memory::default());
    let stop = start(&d, host.clone(), &d.password);
    until("the problem committed", &d, || host.payloads().len() == 1).await;
    until("the problem flagged seen", &d, || d.seen(&problem)).await;
    // Delivered while the reader waits in IDLE.
    let junk = d.deliver(b"\xff\xfe not a mail at all");
    let recovery = d.deliver(&fixture("nagios-service-recovery.eml"));
    until("all three committed", &d, || host.payloads().len() == 3).await;
    until("all flagged seen", &d, || {
        d.seen(&recovery) && d.seen(&junk)
    })
    .await;
    let p = host.payloads();
    assert!(p.iter().all(|p| p.headers[FOLDER_HEADER] == "INBOX"));
    assert!(p.iter().all(|p| p.headers[FORMAT_HEADER] == "auto"));
    let firing = mapped(&p[0]).unwrap();
    assert_eq!(firing.status, SignalStatus::Firing);
    assert_eq!(firing.title, "HTTP on web01 is CRITICAL");
    // The garbage is committed all the same (its bytes kept), and its
    // mapping fails: the pipeline sends it to dead letters.
    assert!(p[1].body.starts_with(b"\xff\xfe"));
    assert!(mapped(&p[1]).is_err());
    let resolved = mapped(&p[2]).unwrap();
    assert_eq!(resolved.status, SignalStatus::Resolved);
    assert_eq!(resolved.fingerprint, firing.fingerprint);
    // Flagged ids are forgotten again.
    assert!(host.versions.lock().unwrap().is_empty());
    let st = host.status.lock().unwrap().clone().unwrap();
    assert_eq!((st.state.as_str(), st.taken), ("connected", 3));
    stop.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_commit_leaves_the_message_unseen_and_it_is_taken_once_later() {
    let d = Dovecot::start();
    let host = Arc::new(Memory::default());
    host.refuse.store(true, Ordering::SeqCst);
    let name = d.deliver(&fixture("zabbix-problem.eml"));
    let stop = start(&d, host.clone(), &d.password);
    until("a refused try", &d, || {
        host.status.lock().unwrap().as_ref().is_some_and(|s| {
            s.message
                .as_deref()
                .is_some_and(|m| m.contains("disk is full"))
        })
    })
    .await;
    assert!(!d.seen(&name), "not flagged while not stored");
    assert!(host.payloads().is_empty());
    host.refuse.store(false, Ordering::SeqCst);
    until("taken", &d, || host.payloads().len() == 1).await;
    until("flagged", &d, || d.seen(&name)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(host.payloads().len(), 1, "taken once");
    stop.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_stored_before_a_crash_is_flagged_not_taken_again() {
    let d = Dovecot::start();
    let name = d.deliver(&fixture("generic-problem.eml"));
    // A first test run finds its UID without flagging it.
    let s = Settings::from_config(&config(&d)).unwrap();
    let p = probe(&s, Some(Sensitive::new(d.password.clone()))).await;
    assert!(p.ok, "{}", p.message);
    assert_eq!(p.payloads.len(), 1);
    assert!(!d.seen(&name), "a test flags nothing");
    let key = p.payloads[0].headers[UID_HEADER].clone();
    // Stored, then the process died before the flag.
    let host = Arc::new(Memory::default());
    host.versions.lock().unwrap().insert(key, "stored".into());
    let stop = start(&d, host.clone(), &d.password);
    until("flagged", &d, || d.seen(&name)).await;
    assert!(host.payloads().is_empty(), "not taken a second time");
    stop.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_said_plainly_and_never_shown() {
    let d = Dovecot::start();
    let s = Settings::from_config(&config(&d)).unwrap();
    let wrong = probe(&s, Some(Sensitive::new("hunter2-wrong".into()))).await;
    assert!(!wrong.ok);
    assert!(
        wrong.message.contains("refused the login"),
        "{}",
        wrong.message
    );
    assert!(!wrong.message.contains("hunter2"));
    let none = probe(&s, None).await;
    assert!(
        !none.ok && none.message.contains("password"),
        "{}",
        none.message
    );
    let mut missing = s.clone();
    missing.folder = "Alerts/Nagios".into();
    let p = probe(&missing, Some(Sensitive::new(d.password.clone()))).await;
    assert!(
        !p.ok && p.message.contains("Alerts/Nagios"),
        "{}",
        p.message
    );
    let host = Arc::new(Memory::default());
    let stop = start(&d, host.clone(), "hunter2-wrong");
    until("an error state", &d, || {
        host.status
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|s| s.state == "error")
    })
    .await;
    let st = host.status.lock().unwrap().clone().unwrap();
    assert!(!st.message.unwrap_or_default().contains("hunter2"));
    stop.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_starttls_check_the_server_against_its_ca_and_refuse_without_it() {
    let d = Dovecot::start_tls();
    let ca = d.ca_file.clone().unwrap().display().to_string();
    let name = d.deliver(&fixture("zabbix-problem.eml"));
    let pw = || Some(Sensitive::new(d.password.clone()));
    let implicit = json!({"host": "127.0.0.1", "port": d.tls_port, "username": d.user,
        "tlsCaFile": ca, "pollSeconds": 5});
    let p = probe(&Settings::from_config(&implicit).unwrap(), pw()).await;
    assert!(p.ok && p.payloads.len() == 1, "{}", p.message);
    let starttls = json!({"host": "127.0.0.1", "port": d.port, "security": "starttls",
        "username": d.user, "tlsCaFile": ca});
    let p = probe(&Settings::from_config(&starttls).unwrap(), pw()).await;
    assert!(p.ok && p.payloads.len() == 1, "{}", p.message);
    // The default: the system's roots, which do not know this CA.
    let untrusted = json!({"host": "127.0.0.1", "port": d.tls_port, "username": d.user});
    let p = probe(&Settings::from_config(&untrusted).unwrap(), pw()).await;
    assert!(!p.ok && p.message.contains("TLS"), "{}", p.message);
    assert!(!d.seen(&name), "tests flag nothing");
    // The reader over TLS.
    let host = Arc::new(Memory::default());
    let stop = start_with(implicit, host.clone(), &d.password);
    until("taken over TLS", &d, || host.payloads().len() == 1).await;
    until("flagged", &d, || d.seen(&name)).await;
    stop.stop();
}
