//! Projects in a team: made, renamed and deleted on one member, the same on
//! every member; a deleted project's receiver secret leaves each keychain.

use crate::member::{until, Member};
use causeway_connectors::secrets::{handle_for, SecretError};
use causeway_testkit::redis_server::RedisServer;
use causeway_testkit::team::{ago, alert, am};
use serde_json::{json, Value};
use std::collections::BTreeMap;

async fn projects(m: &Member) -> Vec<(String, String)> {
    let v = m.rpc(json!({"command": "listProjects"})).await.unwrap();
    v["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().into(),
                p["name"].as_str().unwrap().into(),
            )
        })
        .collect()
}

async fn staging_incidents(m: &Member) -> Vec<Value> {
    let v = m
        .rpc(json!({"command": "listIncidents", "args": {"project": "staging"}}))
        .await
        .unwrap_or_default();
    v["incidents"].as_array().cloned().unwrap_or_default()
}

fn named(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_made_renamed_and_deleted_on_one_member_is_so_on_every_member() {
    let redis = RedisServer::start();
    let a = Member::start(&redis.url(), "alpha").await;
    let b = Member::start(&redis.url(), "beta").await;
    until("both members connected", || async {
        a.connected().await && b.connected().await
    })
    .await;

    let made = a
        .rpc(json!({"command": "createProject", "args": {"id": "staging", "name": "Staging"}}))
        .await
        .unwrap();
    let secret = made["receiver"]["secret"].as_str().unwrap().to_string();
    let both = named(&[("default", "Default"), ("staging", "Staging")]);
    until("beta has the project", || async {
        projects(&b).await == both
    })
    .await;
    assert_eq!(projects(&a).await, both);
    let theirs = b
        .rpc(json!({"command": "listInstances", "args": {"project": "staging"}}))
        .await
        .unwrap();
    assert_eq!(theirs["instances"][0]["id"], "staging-alertmanager");

    // An alert to alpha's staging receiver is staging's incident on both.
    let body = am(&[alert("s1", "cart-0", "critical", &ago(60))]);
    let taken = a
        .run(move |app| async move {
            let auth = BTreeMap::from([("authorization".into(), format!("Bearer {secret}"))]);
            app.accept_webhook("alertmanager", "staging", auth, body)
                .await
        })
        .await;
    assert!(taken.is_ok(), "{taken:?}");
    until("the staging incident on both", || async {
        staging_incidents(&a).await.len() == 1 && staging_incidents(&b).await.len() == 1
    })
    .await;
    assert_eq!(
        staging_incidents(&a).await[0]["id"],
        staging_incidents(&b).await[0]["id"]
    );
    let default = b.rpc(json!({"command": "listIncidents"})).await.unwrap();
    assert_eq!(default["incidents"], json!([]), "not in default");

    // Renamed on beta: alpha has the name.
    let renamed = b
        .rpc(json!({"command": "renameProject", "args": {"id": "staging", "name": "Pre-prod"}}))
        .await;
    assert!(renamed.is_ok(), "{renamed:?}");
    let now = named(&[("default", "Default"), ("staging", "Pre-prod")]);
    until("alpha has the new name", || async {
        projects(&a).await == now
    })
    .await;

    // Deleted on beta: gone on alpha, with alpha's secret of its receiver.
    let deleted = b
        .rpc(json!({"command": "deleteProject", "args": {"id": "staging"}}))
        .await;
    assert!(deleted.is_ok(), "{deleted:?}");
    let only = named(&[("default", "Default")]);
    until("gone on both", || async {
        projects(&a).await == only && projects(&b).await == only
    })
    .await;
    let kept = a
        .run(|app| async move {
            app.keychain()
                .get(&handle_for("staging-alertmanager", "webhookSecret"))
        })
        .await;
    assert!(
        matches!(kept, Err(SecretError::NotFound { .. })),
        "{kept:?}"
    );
    let left = a.rpc(json!({"command": "listInstances"})).await.unwrap();
    assert!(
        left["instances"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["projectId"] == "default"),
        "{left:#}"
    );
}
