//! "Test connection" for the setup form: the server answers, the login is
//! taken, the folder exists, and the next unseen messages as they would be
//! stored. The folder is opened read-only (`EXAMINE`) and read with
//! `BODY.PEEK[]`: a test flags nothing.

use super::connect::{describe, open};
use super::consume::payload;
use super::Settings;
pub use crate::runtime::Probe;
use causeway_core::Sensitive;
use futures_util::TryStreamExt;
use std::time::Instant;

/// Messages shown, at most.
const SHOWN: usize = 10;

/// Logs in and reads the next unseen messages without flagging them.
pub async fn probe(s: &Settings, password: Option<Sensitive<String>>) -> Probe {
    let started = Instant::now();
    let failed = |message: String| Probe::failed(started, message);
    let shown = s.shown();
    let Some(password) = password else {
        return failed("no password: give it in the connector's settings".into());
    };
    let mut session = match open(s, &password).await {
        Ok(session) => session,
        Err(e) => return failed(e.message),
    };
    let mailbox = match session.examine(&s.folder).await {
        Ok(m) => m,
        Err(e) => {
            return failed(format!(
                "logged in, but cannot open the folder '{}': {}",
                s.folder,
                describe(&e)
            ))
        }
    };
    let mut uids: Vec<u32> = match session.uid_search("UNSEEN").await {
        Ok(u) => u.into_iter().collect(),
        Err(e) => return failed(format!("cannot search the folder: {}", describe(&e))),
    };
    uids.sort_unstable();
    let unseen = uids.len();
    uids.truncate(SHOWN);
    let validity = mailbox.uid_validity.unwrap_or(0);
    let mut payloads = Vec::new();
    if !uids.is_empty() {
        let set = uids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let fetched: Result<Vec<async_imap::types::Fetch>, _> =
            match session.uid_fetch(&set, "(UID BODY.PEEK[])").await {
                Ok(stream) => stream.try_collect().await,
                Err(e) => Err(e),
            };
        match fetched {
            Ok(f) => payloads
                .extend(f.iter().filter_map(|f| {
                    Some(payload(s, &format!("{validity}:{}", f.uid?), f.body()?))
                })),
            Err(e) => return failed(format!("cannot fetch the messages: {}", describe(&e))),
        }
    }
    let _ = session.logout().await;
    Probe {
        ok: true,
        latency: started.elapsed(),
        message: format!(
            "Logged in to {shown} as '{}': {} unseen message{} ({} in the folder); {} shown below (none was flagged seen).",
            s.username,
            unseen,
            if unseen == 1 { "" } else { "s" },
            mailbox.exists,
            if payloads.is_empty() {
                "nothing is".to_string()
            } else {
                format!("the next {} are", payloads.len())
            }
        ),
        payloads,
    }
}
