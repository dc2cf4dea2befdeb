//! Arbitrary request bodies and query strings against the JSON endpoints:
//! every response must be a client error or success in the Matrix error
//! shape, never a server error.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failed unwrap is a failed test")]

mod common;

use axum::http::Method;
use common::TestServer;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/_usher/v1/registrations"),
    ("POST", "/_usher/v1/activate"),
    ("POST", "/_matrix/client/v3/login"),
    ("POST", "/_matrix/client/v3/createRoom"),
    ("PUT", "/_usher/v1/admin/sponsors/%40opsadmin%3Alocalhost"),
    ("POST", "/_matrix/client/v3/account/password"),
];

fn json_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\{\"(username|password|groups|note|display_name|type|identifier|preset|invite|auth|daily_quota)\": ?(null|true|-1|1e400|\"[^\"]{0,40}\"|\\[\\]|\\{\\})\\}",
        "\\{\"groups\": ?\\[\"[#!@]?[a-z:]{0,20}\"\\]\\}",
    ]
}

#[test]
fn bodies_never_cause_server_errors() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let server = runtime.block_on(TestServer::start());
    let token = runtime.block_on(server.admin_token());
    let mut runner = TestRunner::new(Config { cases: 300, ..Config::default() });
    runner
        .run(&(0..ENDPOINTS.len(), json_like()), |(index, body)| {
            let (method, path) = ENDPOINTS[index];
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let reply = runtime.block_on(server.send_raw(method, path, Some(&token), &body));
            prop_assert!(reply.status.as_u16() < 500, "{path} {body:?} -> {} {:?}", reply.status, reply.body);
            if !reply.status.is_success() && reply.status.as_u16() != 401 {
                prop_assert!(reply.body["errcode"].is_string(), "{path} {body:?} -> {:?}", reply.body);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn query_strings_never_cause_server_errors() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let server = runtime.block_on(TestServer::start());
    let token = runtime.block_on(server.admin_token());
    let mut runner = TestRunner::new(Config { cases: 200, ..Config::default() });
    runner
        .run(
            &(
                "(since|from|filter|timeout|limit|dir|full_state)",
                "[a-zA-Z0-9%{}\":_ -]{0,30}|\\{\"room\":\\{\"timeline\":\\{\"limit\":-?[0-9]{1,12}\\}\\}\\}",
            ),
            |(key, value)| {
                for path in ["/_matrix/client/v3/sync", "/_usher/v1/sponsored"] {
                    let encoded: String = value
                        .bytes()
                        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
                        .collect();
                    let uri = format!("{path}?{key}={encoded}&timeout=0");
                    let reply = runtime.block_on(server.send(Method::GET, &uri, Some(&token), None, &[]));
                    prop_assert!(reply.status.as_u16() < 500, "{uri} -> {} {:?}", reply.status, reply.body);
                }
                Ok(())
            },
        )
        .unwrap();
}
