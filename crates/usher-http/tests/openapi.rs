//! The OpenAPI document of the Usher API: served as written, listing
//! exactly the routes that the router serves, and describing the bodies
//! that real requests get back.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failed unwrap is a failed test")]

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::{enc, Reply, TestServer, ADMIN};
use serde_json::{json, Value};

const DOCUMENT: &str = include_str!("../openapi.json");

/// Every (method, path) that `usher_api()` in src/routes.rs serves. Axum
/// cannot list its routes, so a new route must be added here, to the
/// document and to the router together.
const USHER_ROUTES: &[(&str, &str)] = &[
    ("POST", "/_usher/v1/registrations"),
    ("GET", "/_usher/v1/registration/rules"),
    ("POST", "/_usher/v1/activate"),
    ("GET", "/_usher/v1/sponsored"),
    ("GET", "/_usher/v1/users/{user_id}/sponsor"),
    ("PUT", "/_usher/v1/admin/sponsors/{user_id}"),
    ("GET", "/_usher/v1/admin/sponsors/{user_id}"),
    ("DELETE", "/_usher/v1/admin/sponsors/{user_id}"),
    ("GET", "/_usher/v1/openapi.json"),
];

/// The operation keys of an OpenAPI path item.
const OPERATION_KEYS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Methods probed for 405 on documented paths. HEAD and OPTIONS are left
/// out because axum handles HEAD for GET routes and the CORS layer handles
/// OPTIONS on every path.
const PROBED_METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH"];

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is valid JSON")
}

/// Collects the (method, path) pairs that the document lists, with upper-case methods.
fn documented_routes(document: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths object") {
        for key in OPERATION_KEYS {
            if item.get(*key).is_some() {
                routes.insert((key.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// Builds a request path from a path template, with a dummy user id.
fn concrete_path(template: &str) -> String {
    template.replace("{user_id}", &enc("@nobody:localhost"))
}

/// Checks requests and responses against the document's schemas.
struct Contract {
    document: Value,
}

impl Contract {
    fn new() -> Self {
        Contract { document: document() }
    }

    fn operation(&self, method: &str, template: &str) -> &Value {
        let operation = &self.document["paths"][template][method.to_ascii_lowercase()];
        assert!(operation.is_object(), "{method} {template} is not in openapi.json");
        operation
    }

    /// Follows a local `$ref` such as `#/components/responses/Unauthorized`.
    fn dereference<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.strip_prefix('#').expect("local $ref");
                self.document.pointer(pointer).unwrap_or_else(|| panic!("$ref {reference} does not resolve"))
            }
            None => value,
        }
    }

    /// Compiles `schema` with the document's components beside it, so that
    /// its `#/components/...` references resolve.
    fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let mut root = schema.clone();
        root["components"] = self.document["components"].clone();
        jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("schema does not compile: {e}\nschema: {schema}"))
    }

    fn errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let validator = self.validator(schema);
        validator.iter_errors(instance).map(|e| format!("{e} (at \"{}\")", e.instance_path())).collect()
    }

    /// Returns the documented response of an operation for a status.
    fn response(&self, method: &str, template: &str, status: StatusCode) -> &Value {
        let response = &self.operation(method, template)["responses"][status.as_str()];
        assert!(response.is_object(), "{method} {template} returned {status}, which openapi.json does not list");
        self.dereference(response)
    }

    /// Asserts that the reply's status is documented for the operation and
    /// that its body matches the schema documented for that status.
    fn check(&self, method: &str, template: &str, reply: &Reply) {
        let response = self.response(method, template, reply.status);
        let schema = &response["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {template} {} has no application/json schema", reply.status);
        let content_type = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "{method} {template} {}: content type {content_type:?}",
            reply.status
        );
        let errors = self.errors(schema, &reply.body);
        assert!(
            errors.is_empty(),
            "{method} {template} {}: body does not match openapi.json: {errors:#?}\nbody: {}",
            reply.status,
            reply.body
        );
    }

    /// Returns whether a request body matches the operation's request schema.
    fn request_is_valid(&self, method: &str, template: &str, body: &Value) -> bool {
        let schema = &self.operation(method, template)["requestBody"]["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {template} has no request body schema");
        self.errors(schema, body).is_empty()
    }

    /// Returns whether the documented response for a status declares a header.
    fn declares_header(&self, method: &str, template: &str, status: StatusCode, header: &str) -> bool {
        self.response(method, template, status)["headers"].get(header).is_some()
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref" {
                    refs.extend(child.as_str().map(str::to_owned));
                } else {
                    collect_refs(child, refs);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}

#[tokio::test]
async fn document_served_as_embedded() {
    let server = TestServer::start().await;
    let reply = server.get("/_usher/v1/openapi.json", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let content_type = reply.headers.get("content-type").and_then(|v| v.to_str().ok());
    assert_eq!(content_type, Some("application/json"));
    assert_eq!(reply.body, document(), "the served document differs from crates/usher-http/openapi.json");
    let version = reply.body["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1."), "openapi version {version:?}");
}

#[test]
fn document_structure_complete() {
    let contract = Contract::new();
    let document = &contract.document;
    assert!(document["info"]["title"].is_string());
    assert!(document["info"]["version"].is_string());

    let mut refs = Vec::new();
    collect_refs(document, &mut refs);
    assert!(!refs.is_empty());
    for reference in &refs {
        let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("{reference} is not a local $ref"));
        assert!(document.pointer(pointer).is_some(), "$ref {reference} does not resolve");
    }

    for schema in document["components"]["schemas"].as_object().expect("component schemas").values() {
        contract.validator(schema);
    }
    for (method, path) in documented_routes(document) {
        let operation = contract.operation(&method, &path);
        assert!(operation["summary"].is_string(), "{method} {path} has no summary");
        assert!(operation["operationId"].is_string(), "{method} {path} has no operationId");
        assert!(operation["security"].is_array(), "{method} {path} does not state its security");
        let secured = !operation["security"].as_array().expect("security array").is_empty();
        let lists_401 = operation["responses"].get("401").is_some();
        assert_eq!(secured, lists_401, "{method} {path}: security and the 401 response disagree");
    }
}

#[test]
fn document_routes_match_list() {
    let document = document();
    let documented = documented_routes(&document);
    let expected: BTreeSet<(String, String)> =
        USHER_ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, expected, "openapi.json and USHER_ROUTES list different routes");
    for (_, path) in &documented {
        assert!(path.starts_with("/_usher/v1/"), "{path} is outside /_usher/v1");
    }
}

#[tokio::test]
async fn documented_routes_served() {
    let server = TestServer::start().await;
    let contract = Contract::new();
    for (method, template) in USHER_ROUTES {
        let path = concrete_path(template);
        let reply = server.send(Method::from_bytes(method.as_bytes()).unwrap(), &path, None, None, &[]).await;
        assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {:?}", reply.body);
        let unrecognized = reply.status == StatusCode::NOT_FOUND && reply.body["errcode"] == "M_UNRECOGNIZED";
        assert!(!unrecognized, "{method} {path} is not routed: {:?}", reply.body);

        let secured = !contract.operation(method, template)["security"].as_array().expect("security array").is_empty();
        assert_eq!(
            reply.status == StatusCode::UNAUTHORIZED,
            secured,
            "{method} {path} without a token returned {}",
            reply.status
        );
        contract.check(method, template, &reply);
    }
}

#[tokio::test]
async fn undocumented_methods_not_allowed() {
    let server = TestServer::start().await;
    let document = document();
    let documented = documented_routes(&document);
    for template in document["paths"].as_object().expect("paths object").keys() {
        for method in PROBED_METHODS {
            if documented.contains(&(method.to_string(), template.clone())) {
                continue;
            }
            let path = concrete_path(template);
            let reply = server.send(Method::from_bytes(method.as_bytes()).unwrap(), &path, None, None, &[]).await;
            assert_eq!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is served but not documented: {:?}",
                reply.body
            );
        }
    }
}

#[tokio::test]
async fn undocumented_paths_unrecognized() {
    let server = TestServer::start().await;
    let paths = [
        "/_usher/v1/",
        "/_usher/v1/registration",
        "/_usher/v1/registrations/extra",
        "/_usher/v1/registration/rules/extra",
        "/_usher/v1/admin/sponsors",
        "/_usher/v1/users/%40nobody%3Alocalhost/sponsors",
        "/_usher/v1/openapi.yaml",
        "/_usher/v2/registrations",
    ];
    for path in paths {
        let reply = server.get(path, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {:?}", reply.body);
        assert_eq!(reply.body["errcode"], "M_UNRECOGNIZED", "{path}");
    }
}

#[tokio::test]
async fn rule_ids_match_served_rules() {
    let server = TestServer::start().await;
    let document = document();
    let documented: BTreeSet<&str> = document["components"]["schemas"]["RuleId"]["enum"]
        .as_array()
        .expect("RuleId enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let reply = server.get("/_usher/v1/registration/rules", None).await;
    let served: BTreeSet<&str> =
        reply.body["rules"].as_array().expect("rules").iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(documented, served, "the default settings activate every rule, so both lists must match");
}

#[test]
fn request_schemas_match_server_rules() {
    let contract = Contract::new();
    let register = ("POST", "/_usher/v1/registrations");
    assert!(contract.request_is_valid(register.0, register.1, &json!({})));
    assert!(contract.request_is_valid(
        register.0,
        register.1,
        &json!({"username": "zhangsan01", "groups": ["#club:localhost"], "open_direct_chat": true})
    ));
    assert!(
        !contract.request_is_valid(register.0, register.1, &json!({"usernme": "typo"})),
        "unknown fields are rejected"
    );
    assert!(!contract.request_is_valid(register.0, register.1, &json!({"note": "x".repeat(501)})));
    assert!(!contract.request_is_valid(register.0, register.1, &json!({"groups": ["club"]})));

    let grant = ("PUT", "/_usher/v1/admin/sponsors/{user_id}");
    assert!(contract.request_is_valid(grant.0, grant.1, &json!({})));
    assert!(contract.request_is_valid(grant.0, grant.1, &json!({"daily_quota": 5, "total_quota": null})));
    assert!(!contract.request_is_valid(grant.0, grant.1, &json!({"daily_quota": -1})));
    assert!(!contract.request_is_valid(grant.0, grant.1, &json!({"weekly_quota": 5})), "unknown fields are rejected");

    let activate = ("POST", "/_usher/v1/activate");
    assert!(contract.request_is_valid(
        activate.0,
        activate.1,
        &json!({"username": "a", "initial_password": "b", "new_password": "c"})
    ));
    assert!(!contract.request_is_valid(activate.0, activate.1, &json!({"username": "a"})));
}

const REGISTER: (&str, &str) = ("POST", "/_usher/v1/registrations");
const ACTIVATE: (&str, &str) = ("POST", "/_usher/v1/activate");
const GRANT_PUT: (&str, &str) = ("PUT", "/_usher/v1/admin/sponsors/{user_id}");
const GRANT_GET: (&str, &str) = ("GET", "/_usher/v1/admin/sponsors/{user_id}");
const GRANT_DELETE: (&str, &str) = ("DELETE", "/_usher/v1/admin/sponsors/{user_id}");
const SPONSOR_CHAIN: (&str, &str) = ("GET", "/_usher/v1/users/{user_id}/sponsor");
const SPONSORED: (&str, &str) = ("GET", "/_usher/v1/sponsored");
const RULES: (&str, &str) = ("GET", "/_usher/v1/registration/rules");

#[tokio::test]
async fn registration_responses_match_schemas() {
    let server = TestServer::start().await;
    let contract = Contract::new();
    let admin = server.admin_token().await;
    let group = server.create_room(&admin, json!({"name": "Hikers", "room_alias_name": "hikers"})).await;

    let body = json!({"username": "schema0001", "groups": ["#hikers:localhost"], "open_direct_chat": true, "note": "met at the trailhead"});
    let key = [("idempotency-key", "contract-0001")];
    let created = server.send(Method::POST, REGISTER.1, Some(&admin), Some(body.clone()), &key).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["groups"], json!([group]));
    contract.check(REGISTER.0, REGISTER.1, &created);

    let replayed = server.send(Method::POST, REGISTER.1, Some(&admin), Some(body), &key).await;
    assert_eq!(replayed.status, StatusCode::CREATED);
    assert_eq!(replayed.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert!(contract.declares_header(REGISTER.0, REGISTER.1, StatusCode::CREATED, "Idempotent-Replayed"));
    contract.check(REGISTER.0, REGISTER.1, &replayed);

    let reused =
        server.send(Method::POST, REGISTER.1, Some(&admin), Some(json!({"username": "schema0002"})), &key).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    contract.check(REGISTER.0, REGISTER.1, &reused);

    let generated = server.register(&admin, json!({})).await;
    assert_eq!(generated.status, StatusCode::CREATED);
    assert!(generated.body["initial_password"].is_string());
    contract.check(REGISTER.0, REGISTER.1, &generated);

    let broken = server.register(&admin, json!({"username": "1ab", "password": "12345678"})).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert!(broken.body["violations"].is_array());
    contract.check(REGISTER.0, REGISTER.1, &broken);

    let broken_zh = server
        .send(
            Method::POST,
            REGISTER.1,
            Some(&admin),
            Some(json!({"username": "schema0001"})),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!(broken_zh.body["errcode"], "M_USER_IN_USE");
    contract.check(REGISTER.0, REGISTER.1, &broken_zh);

    let unknown_field = server.register(&admin, json!({"usernme": "typo"})).await;
    assert_eq!(unknown_field.body["errcode"], "M_BAD_JSON");
    contract.check(REGISTER.0, REGISTER.1, &unknown_field);

    let not_json = server.send_raw(Method::POST, REGISTER.1, Some(&admin), "{not json").await;
    assert_eq!(not_json.body["errcode"], "M_NOT_JSON");
    contract.check(REGISTER.0, REGISTER.1, &not_json);

    let bad_group = server.register(&admin, json!({"groups": ["hikers"]})).await;
    assert_eq!(bad_group.body["errcode"], "M_INVALID_PARAM");
    contract.check(REGISTER.0, REGISTER.1, &bad_group);

    let unknown_group =
        server.register(&admin, json!({"username": "schema0003", "groups": ["#nowhere:localhost"]})).await;
    assert_eq!(unknown_group.status, StatusCode::NOT_FOUND);
    contract.check(REGISTER.0, REGISTER.1, &unknown_group);

    let missing_token = server.post(REGISTER.1, None, json!({})).await;
    assert_eq!(missing_token.body["errcode"], "M_MISSING_TOKEN");
    contract.check(REGISTER.0, REGISTER.1, &missing_token);

    let unknown_token = server.register("not-a-token", json!({})).await;
    assert_eq!(unknown_token.body["errcode"], "M_UNKNOWN_TOKEN");
    contract.check(REGISTER.0, REGISTER.1, &unknown_token);

    let oversized = server.send_raw(Method::POST, REGISTER.1, Some(&admin), &" ".repeat(1024 * 1024 + 1)).await;
    assert_eq!(oversized.status, StatusCode::PAYLOAD_TOO_LARGE);
    contract.check(REGISTER.0, REGISTER.1, &oversized);
}

#[tokio::test]
async fn activation_responses_match_schemas() {
    let server = TestServer::start().await;
    let contract = Contract::new();
    let admin = server.admin_token().await;
    let created = server.register(&admin, json!({"username": "schema0101", "password": "Initial-Pass-77"})).await;
    assert_eq!(created.status, StatusCode::CREATED);

    let missing = server.post(ACTIVATE.1, None, json!({"username": "schema0101"})).await;
    assert_eq!(missing.body["errcode"], "M_MISSING_PARAM");
    contract.check(ACTIVATE.0, ACTIVATE.1, &missing);

    let weak = server
        .post(
            ACTIVATE.1,
            None,
            json!({"username": "schema0101", "initial_password": "Initial-Pass-77", "new_password": "12345678"}),
        )
        .await;
    assert_eq!(weak.body["errcode"], "M_WEAK_PASSWORD");
    contract.check(ACTIVATE.0, ACTIVATE.1, &weak);

    let same = server
        .post(
            ACTIVATE.1,
            None,
            json!({"username": "schema0101", "initial_password": "Initial-Pass-77", "new_password": "Initial-Pass-77"}),
        )
        .await;
    assert_eq!(same.body["errcode"], "M_WEAK_PASSWORD");
    contract.check(ACTIVATE.0, ACTIVATE.1, &same);

    let wrong = server
        .post(
            ACTIVATE.1,
            None,
            json!({"username": "schema0101", "initial_password": "Wrong-Pass-77", "new_password": "Brand-New-Pass-1"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    contract.check(ACTIVATE.0, ACTIVATE.1, &wrong);

    let activated = server.post(ACTIVATE.1, None, json!({"username": "schema0101", "initial_password": "Initial-Pass-77", "new_password": "Brand-New-Pass-1"})).await;
    assert_eq!(activated.status, StatusCode::OK, "{:?}", activated.body);
    contract.check(ACTIVATE.0, ACTIVATE.1, &activated);

    let again = server.post(ACTIVATE.1, None, json!({"username": "schema0101", "initial_password": "Brand-New-Pass-1", "new_password": "Other-New-Pass-2"})).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "{:?}", again.body);
    contract.check(ACTIVATE.0, ACTIVATE.1, &again);

    for _ in 0..10 {
        server.post(ACTIVATE.1, None, json!({"username": "nobody0101", "initial_password": "Wrong-Pass-77", "new_password": "Brand-New-Pass-1"})).await;
    }
    let locked = server
        .post(
            ACTIVATE.1,
            None,
            json!({"username": "nobody0101", "initial_password": "Wrong-Pass-77", "new_password": "Brand-New-Pass-1"}),
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", locked.body);
    assert!(locked.headers.get("retry-after").is_some());
    assert!(contract.declares_header(ACTIVATE.0, ACTIVATE.1, StatusCode::TOO_MANY_REQUESTS, "Retry-After"));
    contract.check(ACTIVATE.0, ACTIVATE.1, &locked);
}

#[tokio::test]
async fn sponsorship_responses_match_schemas() {
    let server = TestServer::start().await;
    let contract = Contract::new();
    let admin = server.admin_token().await;
    let sponsor = server.register_active(&admin, "schema0201", &[]).await;
    let grant_path = format!("/_usher/v1/admin/sponsors/{}", enc("@schema0201:localhost"));

    let plain = server.register(&sponsor, json!({"username": "schema0202"})).await;
    assert_eq!(plain.status, StatusCode::FORBIDDEN);
    contract.check(REGISTER.0, REGISTER.1, &plain);

    let not_admin = server.put(&grant_path, Some(&sponsor), json!({"daily_quota": 5})).await;
    assert_eq!(not_admin.status, StatusCode::FORBIDDEN);
    contract.check(GRANT_PUT.0, GRANT_PUT.1, &not_admin);

    let granted = server.put(&grant_path, Some(&admin), json!({"daily_quota": 1, "total_quota": 10})).await;
    assert_eq!(granted.status, StatusCode::OK, "{:?}", granted.body);
    contract.check(GRANT_PUT.0, GRANT_PUT.1, &granted);

    let unknown_field = server.put(&grant_path, Some(&admin), json!({"weekly_quota": 5})).await;
    assert_eq!(unknown_field.body["errcode"], "M_BAD_JSON");
    contract.check(GRANT_PUT.0, GRANT_PUT.1, &unknown_field);

    let unknown_user =
        server.put(&format!("/_usher/v1/admin/sponsors/{}", enc("@nobody:localhost")), Some(&admin), json!({})).await;
    assert_eq!(unknown_user.status, StatusCode::NOT_FOUND);
    contract.check(GRANT_PUT.0, GRANT_PUT.1, &unknown_user);

    let malformed = server.get("/_usher/v1/admin/sponsors/not-a-user-id", Some(&admin)).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    contract.check(GRANT_GET.0, GRANT_GET.1, &malformed);

    assert_eq!(server.register(&sponsor, json!({"username": "schema0203"})).await.status, StatusCode::CREATED);
    let daily = server.register(&sponsor, json!({"username": "schema0204"})).await;
    assert_eq!(daily.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(daily.body["quota"]["period"], "daily");
    assert!(daily.headers.get("retry-after").is_some());
    assert!(contract.declares_header(REGISTER.0, REGISTER.1, StatusCode::TOO_MANY_REQUESTS, "Retry-After"));
    contract.check(REGISTER.0, REGISTER.1, &daily);

    let view = server.get(&grant_path, Some(&admin)).await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(view.body["used_today"], 1);
    contract.check(GRANT_GET.0, GRANT_GET.1, &view);

    let total_only = server.put(&grant_path, Some(&admin), json!({"total_quota": 1})).await;
    assert_eq!(total_only.status, StatusCode::OK);
    assert_eq!(total_only.body["daily_quota"], Value::Null);
    contract.check(GRANT_PUT.0, GRANT_PUT.1, &total_only);
    let total = server.register(&sponsor, json!({"username": "schema0205"})).await;
    assert_eq!(total.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(total.body["quota"]["period"], "total");
    assert!(total.headers.get("retry-after").is_none());
    contract.check(REGISTER.0, REGISTER.1, &total);

    let deleted = server.send(Method::DELETE, &grant_path, Some(&admin), None, &[]).await;
    assert_eq!(deleted.status, StatusCode::OK);
    contract.check(GRANT_DELETE.0, GRANT_DELETE.1, &deleted);
    let deleted_again = server.send(Method::DELETE, &grant_path, Some(&admin), None, &[]).await;
    assert_eq!(deleted_again.status, StatusCode::NOT_FOUND);
    contract.check(GRANT_DELETE.0, GRANT_DELETE.1, &deleted_again);
    let no_grant = server.get(&grant_path, Some(&admin)).await;
    assert_eq!(no_grant.status, StatusCode::NOT_FOUND);
    contract.check(GRANT_GET.0, GRANT_GET.1, &no_grant);
}

#[tokio::test]
async fn listing_responses_match_schemas() {
    let server = TestServer::start().await;
    let contract = Contract::new();
    let admin = server.admin_token().await;
    let room = server.create_room(&admin, json!({})).await;
    let child = server.register_active(&admin, "schema0301", &[&room]).await;
    server.register(&admin, json!({"username": "schema0302", "note": "second"})).await;
    let stranger = server.register_active(&admin, "schema0303", &[]).await;

    let page = server.get("/_usher/v1/sponsored?limit=2", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body["next_batch"].is_string());
    contract.check(SPONSORED.0, SPONSORED.1, &page);
    let last = server
        .get(&format!("/_usher/v1/sponsored?from={}", page.body["next_batch"].as_str().unwrap()), Some(&admin))
        .await;
    assert_eq!(last.status, StatusCode::OK);
    contract.check(SPONSORED.0, SPONSORED.1, &last);
    let bad_limit = server.get("/_usher/v1/sponsored?limit=abc", Some(&admin)).await;
    assert_eq!(bad_limit.status, StatusCode::BAD_REQUEST);
    contract.check(SPONSORED.0, SPONSORED.1, &bad_limit);

    let child_path = format!("/_usher/v1/users/{}/sponsor", enc("@schema0301:localhost"));
    for token in [&admin, &child] {
        let chain = server.get(&child_path, Some(token)).await;
        assert_eq!(chain.status, StatusCode::OK, "{:?}", chain.body);
        assert_eq!(chain.body["chain"][0]["user_id"], format!("@{ADMIN}:localhost"));
        contract.check(SPONSOR_CHAIN.0, SPONSOR_CHAIN.1, &chain);
    }
    let top =
        server.get(&format!("/_usher/v1/users/{}/sponsor", enc(&format!("@{ADMIN}:localhost"))), Some(&admin)).await;
    assert_eq!(top.status, StatusCode::OK);
    assert_eq!(top.body["sponsor"], Value::Null);
    contract.check(SPONSOR_CHAIN.0, SPONSOR_CHAIN.1, &top);
    let hidden = server.get(&child_path, Some(&stranger)).await;
    assert_eq!(hidden.status, StatusCode::FORBIDDEN);
    contract.check(SPONSOR_CHAIN.0, SPONSOR_CHAIN.1, &hidden);
    let unknown = server.get(&format!("/_usher/v1/users/{}/sponsor", enc("@nobody:localhost")), Some(&admin)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    contract.check(SPONSOR_CHAIN.0, SPONSOR_CHAIN.1, &unknown);
    let malformed = server.get("/_usher/v1/users/nobody/sponsor", Some(&admin)).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    contract.check(SPONSOR_CHAIN.0, SPONSOR_CHAIN.1, &malformed);

    for language in ["en", "zh-CN"] {
        let rules = server.send(Method::GET, RULES.1, None, None, &[("accept-language", language)]).await;
        assert_eq!(rules.status, StatusCode::OK);
        assert_eq!(rules.body["lang"], language);
        contract.check(RULES.0, RULES.1, &rules);
    }
}
