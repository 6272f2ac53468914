//! The reading loop: log in, select the folder, take every unseen message
//! (commit, then flag `\Seen`), then wait for more with IDLE (or a timer on
//! a server without it). Any failure logs in again after a backoff; what
//! was read and not flagged is still unseen and is read again.

use super::connect::{describe, open, Session};
use super::{Settings, FOLDER_HEADER, FORMAT_HEADER, MAX_MESSAGE, MESSAGES, UID_HEADER};
use crate::runtime::{
    BoxFuture, Commit, ErrorClass, ItemVersion, Payload, Report, Source, SourceContext,
    StreamTracker,
};
use crate::sources::reconnect::{retry, unusable, Failure, Reconnect};
use async_imap::types::UnsolicitedResponse;
use futures_util::TryStreamExt;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Reads an `imap` instance's folder.
pub struct ImapSource;

fn imap(what: &str, e: &async_imap::error::Error) -> Failure {
    retry(format!("{what}: {}", describe(e)))
}

impl Source for ImapSource {
    fn run(&self, ctx: SourceContext) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let settings = match Settings::from_config(&ctx.instance.config) {
                Ok(s) => s,
                Err(message) => return unusable(&ctx, message).await,
            };
            let mut st = StreamTracker::new(
                &ctx,
                format!("{}:{}", settings.host, settings.port()),
                &settings.folder,
                "",
                &settings.username,
            );
            let mut r = Reconnect::new(&ctx, 60_000, "imap reader");
            while r.again(&ctx) {
                match session(&ctx, &settings, &mut st, &mut r.failures).await {
                    Ok(()) => break,
                    Err(f) => {
                        if !r.failed(&ctx, &mut st, f).await {
                            break;
                        }
                    }
                }
            }
            Reconnect::done(&ctx);
        })
    }
}

/// One login's worth of reading; `Ok` when stopped.
async fn session(
    ctx: &SourceContext,
    s: &Settings,
    st: &mut StreamTracker,
    failures: &mut u32,
) -> Result<(), Failure> {
    let password = ctx
        .secret("password")
        .await
        .map_err(|e| retry(format!("cannot read the password from the keychain: {e}")))?
        .ok_or_else(|| Failure {
            message: "no password: give it in the connector's settings".into(),
            class: ErrorClass::Fail,
        })?;
    let mut session = open(s, &password).await.map_err(|e| Failure {
        class: if e.fatal {
            ErrorClass::Fail
        } else {
            ErrorClass::Retry
        },
        message: e.message,
    })?;
    let mailbox = session
        .select(&s.folder)
        .await
        .map_err(|e| imap(&format!("cannot open the folder '{}'", s.folder), &e))?;
    let validity = mailbox.uid_validity.unwrap_or(0);
    let idle = session
        .capabilities()
        .await
        .map_err(|e| imap("cannot read the server's capabilities", &e))?
        .has_str("IDLE");
    st.connected_once = true;
    st.set("connected", None);
    *failures = 0;
    ctx.report(Report::Succeeded {
        latency: Duration::ZERO,
        fetched: 0,
        published: 0,
        skipped: 0,
    });
    let wait = Duration::from_secs(s.poll_seconds);
    let mut stop = ctx.stop.clone();
    loop {
        while take_unseen(ctx, s, &mut session, validity, st).await? {
            if stop.is_stopped() {
                break;
            }
        }
        if stop.is_stopped() {
            let _ = session.logout().await;
            return Ok(());
        }
        // News the server sent along with other commands (an EXISTS during
        // the last SEARCH) would not wake IDLE: look again first. Emptying
        // the queue also keeps it from filling with stale news.
        let mut news = false;
        while let Ok(r) = session.unsolicited_responses.try_recv() {
            news |= matches!(
                r,
                UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
            );
        }
        if news {
            continue;
        }
        if !idle {
            if !stop.sleep(wait).await {
                let _ = session.logout().await;
                return Ok(());
            }
            continue;
        }
        // IDLE until the folder changes, the wait runs out (then the
        // folder is searched anyway, covering a change IDLE missed), or stop.
        let mut handle = session.idle();
        handle
            .init()
            .await
            .map_err(|e| imap("cannot wait for new mail (IDLE)", &e))?;
        let stopped = {
            let (news, _interrupt) = handle.wait_with_timeout(wait);
            tokio::select! {
                r = news => {
                    r.map_err(|e| imap("the connection broke while waiting for mail", &e))?;
                    false
                }
                _ = stop.stopped() => true,
            }
        };
        session = handle
            .done()
            .await
            .map_err(|e| imap("cannot end the wait for new mail (IDLE)", &e))?;
        if stopped {
            let _ = session.logout().await;
            return Ok(());
        }
    }
}

/// Takes one batch of unseen messages: commits them (their ids recorded
/// with them), then flags them `\Seen` and forgets the ids. True when it
/// took a full batch, so there may be more.
async fn take_unseen(
    ctx: &SourceContext,
    s: &Settings,
    session: &mut Session,
    validity: u32,
    st: &mut StreamTracker,
) -> Result<bool, Failure> {
    let started = Instant::now();
    let id = &ctx.instance.id;
    let mut uids: Vec<u32> = session
        .uid_search("UNSEEN")
        .await
        .map_err(|e| imap("cannot search the folder", &e))?
        .into_iter()
        .collect();
    if uids.is_empty() {
        return Ok(false);
    }
    uids.sort_unstable();
    let full = uids.len() > s.batch;
    uids.truncate(s.batch);
    let set = uid_set(&uids);
    let key = |uid: u32| format!("{validity}:{uid}");
    let known = ctx
        .host
        .versions(id, MESSAGES, uids.iter().map(|u| key(*u)).collect())
        .await
        .map_err(|e| retry(format!("cannot read which messages were stored: {e}")))?;
    let fetched: Vec<async_imap::types::Fetch> = session
        .uid_fetch(&set, "(UID BODY.PEEK[])")
        .await
        .map_err(|e| imap("cannot fetch the messages", &e))?
        .try_collect()
        .await
        .map_err(|e| imap("cannot fetch the messages", &e))?;
    let mut payloads = Vec::new();
    let mut versions = Vec::new();
    for f in &fetched {
        let (Some(uid), Some(body)) = (f.uid, f.body()) else {
            continue;
        };
        let k = key(uid);
        if known.contains_key(&k) {
            continue;
        }
        payloads.push(payload(s, &k, body));
        versions.push(ItemVersion {
            stream: MESSAGES.into(),
            key: k,
            hash: "stored".into(),
        });
    }
    let published = payloads.len() as u64;
    if !payloads.is_empty() {
        let commit = Commit {
            payloads,
            versions,
            checkpoint: None,
        };
        // Not stored: nothing is flagged, and the messages are read again.
        ctx.host
            .commit(&ctx.instance, commit)
            .await
            .map_err(|e| retry(format!("could not store the messages: {e}")))?;
    }
    let _: Vec<async_imap::types::Fetch> = session
        .uid_store(&set, "+FLAGS.SILENT (\\Seen)")
        .await
        .map_err(|e| imap("cannot flag the messages as seen", &e))?
        .try_collect()
        .await
        .map_err(|e| imap("cannot flag the messages as seen", &e))?;
    let keys: Vec<String> = uids.iter().map(|u| key(*u)).collect();
    if let Err(e) = ctx.host.forget_versions(id, MESSAGES, keys).await {
        tracing::warn!(instance = %id, error = %e, "cannot forget flagged message ids; they are pruned later");
    }
    st.taken(uids.last().map(|u| key(*u)), published, 0);
    ctx.report(Report::Succeeded {
        latency: started.elapsed(),
        fetched: uids.len() as u64,
        published,
        skipped: uids.len() as u64 - published,
    });
    Ok(full)
}

/// `1,2,5` for a UID set.
fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The inbox payload for a message: its raw bytes (cut at
/// [`MAX_MESSAGE`]), mapped by this instance's normalizer with its format.
pub(super) fn payload(s: &Settings, key: &str, raw: &[u8]) -> Payload {
    Payload {
        headers: BTreeMap::from([
            (FOLDER_HEADER.to_string(), s.folder.clone()),
            (UID_HEADER.to_string(), key.to_string()),
            (FORMAT_HEADER.to_string(), s.format.as_str().to_string()),
        ]),
        body: raw[..raw.len().min(MAX_MESSAGE)].to_vec(),
        connector_id: None,
    }
}
