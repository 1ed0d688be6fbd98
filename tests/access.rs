//! The access matrix: every route of the API, through the Lambda function that serves it, for
//! each kind of caller — no session, a forged token, an expired token, the parent who owns the
//! application, another parent, a parent linked to the child, an operator of the application's
//! district and an operator of another district — with the status class each must get.

use kezek_core::iin::Iin;
use kezek_core::{Principal, Role};
use kezek_http::Sessions;
use kezek_lambda::Function;
use kezek_tests::*;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    /// A token of another RSA key pair.
    Forged,
    /// An HS256 token of the old shared session key.
    OldSharedKey,
    Expired,
    Owner,
    OtherParent,
    LinkedParent,
    OperatorIn,
    OperatorOut,
}

/// What a caller gets: let through (any answer but 401/403), 401 or 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gets {
    Through,
    Unauthorized,
    Forbidden,
}

use Gets::*;
use Who::*;

const ALL: [Who; 9] = [
    Nobody,
    Forged,
    OldSharedKey,
    Expired,
    Owner,
    OtherParent,
    LinkedParent,
    OperatorIn,
    OperatorOut,
];

const OTHER_PARENT: &str = "880808300004";
const LINKED_PARENT: &str = "920202400006";

/// The route's class, from which the expected answers follow.
#[derive(Debug, Clone, Copy)]
enum Class {
    /// Anyone.
    Public,
    /// Any signed-in parent or operator, about themselves.
    Self_,
    /// Parents only (submit, journal, linking).
    ParentOnly,
    /// An application: its parents act; an operator of its district reads.
    ApplicationRead,
    ApplicationAct,
    /// An operator of the district named.
    DistrictOperator,
    /// Any operator (region-wide sweeps).
    AnyOperator,
}

fn class(route: &str) -> Class {
    match route {
        "GET /v1/health"
        | "GET /v1/districts"
        | "GET /v1/kindergartens"
        | "GET /v1/public/voucher-runs"
        | "GET /v1/public/queue"
        | "GET /v1/public/queue/{registration_number}" => Class::Public,
        r if r.starts_with("POST /v1/auth/") => Class::Public,
        "GET /v1/me" | "PUT /v1/me" => Class::Self_,
        "POST /v1/applications"
        | "GET /v1/applications"
        | "POST /v1/me/children"
        | "POST /v1/documents" => Class::ParentOnly,
        // Documents: the owner and linked parents only, not operators.
        "GET /v1/applications/{id}/documents" => Class::ApplicationAct,
        "GET /v1/applications/{id}"
        | "GET /v1/applications/{id}/history"
        | "GET /v1/applications/{id}/queue-history"
        | "GET /v1/applications/{id}/wait-estimate" => Class::ApplicationRead,
        r if r.starts_with("POST /v1/applications/{id}/") => Class::ApplicationAct,
        "POST /v1/admin/sweeps/expiry" | "POST /v1/admin/sweeps/reconfirmation" => {
            Class::AnyOperator
        }
        r if r.contains("/v1/admin/") => Class::DistrictOperator,
        r => panic!("no class for {r}"),
    }
}

fn expected(class: Class, who: Who) -> Gets {
    if matches!(who, Nobody | Forged | OldSharedKey | Expired) {
        return match class {
            Class::Public => Through,
            _ => Unauthorized,
        };
    }
    let parent = matches!(who, Owner | OtherParent | LinkedParent);
    match class {
        Class::Public | Class::Self_ => Through,
        Class::ParentOnly => {
            if parent {
                Through
            } else {
                Forbidden
            }
        }
        Class::ApplicationRead => match who {
            Owner | LinkedParent | OperatorIn => Through,
            _ => Forbidden,
        },
        Class::ApplicationAct => match who {
            Owner | LinkedParent => Through,
            _ => Forbidden,
        },
        Class::DistrictOperator => {
            if who == OperatorIn {
                Through
            } else {
                Forbidden
            }
        }
        Class::AnyOperator => {
            if parent {
                Forbidden
            } else {
                Through
            }
        }
    }
}

/// A request for a route: its path (with the application's or the kindergarten's id) and body.
fn request(route: &str, app: &str) -> (String, String, Option<Value>) {
    let (method, template) = route.split_once(' ').unwrap();
    let path = template
        .replace("{application_id}", app)
        .replace("{registration_number}", "KOK.2026.1")
        .replace(
            "{id}",
            if template.contains("kindergartens") {
                KINDERGARTEN
            } else {
                app
            },
        );
    let body = match route {
        "PUT /v1/me" => Some(json!({"email": "me@example.kz"})),
        "POST /v1/me/children" => Some(json!({"child_iin": CHILD})),
        "POST /v1/applications" => Some(json!({"district": "KOK", "child_iin": "230420600000",
            "email": "p@example.kz", "phone": "+77011234567"})),
        "POST /v1/applications/{id}/kindergarten" => Some(json!({"kindergarten_id": KINDERGARTEN})),
        "POST /v1/admin/kindergartens" | "PUT /v1/admin/kindergartens/{id}" => Some(json!({
            "name_kk": "Балапан", "name_ru": "Балапан", "district": "KOK", "address": "Абай к-сі, 1",
            "phone": "+77162250000", "ownership": "state", "type": "kindergarten",
            "languages": "both", "admission": "general"})),
        "PUT /v1/admin/kindergartens/{id}/places" => Some(json!({"3": 5})),
        "POST /v1/documents" => {
            Some(json!({"name": "a.pdf", "content_type": "application/pdf", "size": 10}))
        }
        // Login answers the same whoever calls; a code or nonce that is not one is a 400.
        "POST /v1/auth/otp" => Some(json!({"iin": PARENT, "phone": "+77011234567"})),
        "POST /v1/auth/otp/verify" => {
            Some(json!({"iin": PARENT, "phone": "+77011234567", "code": "12"}))
        }
        "POST /v1/auth/eds/verify" => Some(json!({"nonce": "zz", "signature": "AAAA"})),
        "POST /v1/admin/voucher-runs" => Some(json!({"district": "KOK", "age_group": 3})),
        "POST /v1/admin/privileges/{application_id}/reject" => {
            Some(json!({"reason": "Анықтама жоқ"}))
        }
        _ => None,
    };
    let query = match route {
        "GET /v1/kindergartens" => "?district=KOK",
        "GET /v1/public/voucher-runs" => "?district=KOK",
        "GET /v1/admin/queue" => "?district=KOK&age_group=3",
        "GET /v1/admin/stats" => "?district=KOK",
        _ => "",
    };
    (method.to_owned(), format!("{path}{query}"), body)
}

fn token(env: &Env, who: Who) -> Option<String> {
    let make = |iin: &str, role: Role, districts: &[&str]| Some(env.token(iin, role, districts));
    match who {
        Nobody => None,
        Forged => {
            // Another RSA key pair (issue 16: a token of any key but the service's is 401).
            let other = Sessions::verifier(kezek_tests::OTHER_PUBLIC)
                .and_then(|s| s.with_signer(kezek_tests::OTHER_PRIVATE, kezek_tests::OTHER_PUBLIC))
                .unwrap();
            let p = Principal {
                iin: kezek_core::iin::Iin::try_from(PARENT.to_owned()).unwrap(),
                role: Role::Parent,
                districts: vec![],
            };
            Some(other.issue(&p, chrono::Utc::now()).unwrap().token)
        }
        OldSharedKey => {
            // An HS256 token of a shared key, as sessions were signed before issue 16.
            let now = chrono::Utc::now().timestamp();
            let claims = json!({"sub": PARENT, "role": "parent", "districts": [], "iat": now,
                "exp": now + 600, "iss": "kezek"});
            Some(
                jsonwebtoken::encode(
                    &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                    &claims,
                    &jsonwebtoken::EncodingKey::from_secret(
                        b"kezek-tests-session-key-not-a-secret-0123456789",
                    ),
                )
                .unwrap(),
            )
        }
        Expired => {
            let p = Principal {
                iin: kezek_core::iin::Iin::try_from(PARENT.to_owned()).unwrap(),
                role: Role::Parent,
                districts: vec![],
            };
            let then = chrono::Utc::now() - chrono::Duration::hours(2);
            Some(env.sessions.issue(&p, then).unwrap().token)
        }
        Owner => make(PARENT, Role::Parent, &[]),
        OtherParent => make(OTHER_PARENT, Role::Parent, &[]),
        LinkedParent => make(LINKED_PARENT, Role::Parent, &[]),
        OperatorIn => make("850505300001", Role::Operator, &["KOK"]),
        OperatorOut => make("850505300001", Role::Operator, &["STP"]),
    }
}

#[tokio::test]
async fn every_route_answers_each_kind_of_caller_as_it_should() {
    let mut cells = 0;
    let mut authorized = 0;
    let mut wrong = Vec::new();
    for route in kezek_http::ROUTES {
        for who in ALL {
            let env = Env::embedded(almaty(2026, 7, 1, 10)).await;
            let upload = json!({"name": "a.pdf", "content_type": "application/pdf", "size": 10});
            let (s, doc) = env
                .http("POST", "/v1/documents", Some(upload), Some(&env.parent()))
                .await;
            assert_eq!(s, 201, "{doc}");
            let body = json!({"district": "KOK", "child_iin": CHILD, "email": "p@example.kz",
                "phone": "+77011234567", "privilege": {"category": "military", "document_ids": [doc["id"]]}});
            let (s, app) = env
                .http("POST", "/v1/applications", Some(body), Some(&env.parent()))
                .await;
            assert_eq!(s, 201, "{app}");
            let app = app["id"].as_str().unwrap().to_owned();
            let linked = env.token(LINKED_PARENT, Role::Parent, &[]);
            let (s, _) = env
                .http(
                    "POST",
                    "/v1/me/children",
                    Some(json!({"child_iin": CHILD})),
                    Some(&linked),
                )
                .await;
            assert_eq!(s, 200);
            let (method, path, body) = request(route, &app);
            let event = api_event(&method, &path, body, token(&env, who).as_deref(), None);
            let function = Function::of_route(route).unwrap();
            let (status, reply) = response(&env.invoke(function, event).await);
            let got = match status {
                401 => Unauthorized,
                403 => Forbidden,
                _ => Through,
            };
            let want = expected(class(route), who);
            if got != want || status >= 500 {
                wrong.push(format!(
                    "{route} as {who:?}: {status} {reply}, expected {want:?}"
                ));
            }
            cells += 1;
            // In AWS the operator routes are behind the Lambda authorizer as well: it lets
            // through operators' sessions only (the function then checks the district).
            if route.contains("/v1/admin/") {
                let t = token(&env, who).unwrap_or_default();
                let event = json!({"version": "2.0", "type": "REQUEST",
                    "identitySource": [format!("Bearer {t}")], "routeKey": route,
                    "headers": {"authorization": format!("Bearer {t}")}});
                let out = env.invoke(Function::Authorizer, event).await;
                let operator = matches!(who, OperatorIn | OperatorOut);
                if out["isAuthorized"] != json!(operator) {
                    wrong.push(format!("authorizer, {route} as {who:?}: {out}"));
                }
                authorized += 1;
            }
        }
    }
    println!(
        "access matrix: {cells} cells ({} routes × {} callers), {authorized} authorizer cells",
        kezek_http::ROUTES.len(),
        ALL.len()
    );
    assert!(
        wrong.is_empty(),
        "{} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A stand-in of the state registers' gateway (the contract of `kezek-registers`): everyone is in
/// the individuals register, and kinship is confirmed for `PARENT` and `CHILD` only, so
/// `OTHER_PARENT` (35 years older than the child) is "not related".
async fn registers_gateway() -> String {
    use axum::routing::{get, post};
    let app = axum::Router::new()
        .route(
            "/v1/persons/{iin}",
            get(
                |axum::extract::Path(iin): axum::extract::Path<String>| async move {
                    let iin = Iin::try_from(iin).map_err(|_| axum::http::StatusCode::NOT_FOUND)?;
                    Ok::<_, axum::http::StatusCode>(axum::Json(
                        json!({"birth_date": iin.birth_date()}),
                    ))
                },
            ),
        )
        .route(
            "/v1/mobile-citizens/check",
            post(|| async { axum::Json(json!({"registered": true})) }),
        )
        .route(
            "/v1/kinship/check",
            post(|axum::Json(b): axum::Json<serde_json::Value>| async move {
                axum::Json(
                    json!({"confirmed": b["parent_iin"] == PARENT && b["child_iin"] == CHILD}),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Issue 16: a stranger's submit of a child's IIN is refused (403 `kinship_not_confirmed`) before
/// anything is written or a registration number is taken; the parent then registers the child with
/// the district's first number. On the embedded store with the built-in register (a stranger less
/// than 14 years older than the child) and on DynamoDB with a register gateway that does not relate
/// a stranger 35 years older.
#[tokio::test]
async fn a_stranger_cannot_register_a_child() {
    let young = kezek_core::iin::make_iin(
        chrono::NaiveDate::from_ymd_opt(2012, 1, 1).unwrap(),
        true,
        7,
    )
    .unwrap()
    .as_str()
    .to_owned();
    let envs = [
        (
            "embedded, built-in register",
            Env::embedded(almaty(2026, 7, 1, 10)).await,
            young,
        ),
        (
            "dynamodb, register gateway",
            Env::dynamodb_with(5, Some(registers_gateway().await)).await,
            OTHER_PARENT.to_owned(),
        ),
    ];
    for (what, env, stranger_iin) in envs {
        let stranger = env.token(&stranger_iin, Role::Parent, &[]);
        let body = json!({"district": "KOK", "child_iin": CHILD, "email": "s@example.kz",
            "phone": "+77011234567"});
        for lang in ["ru", "kk", "en"] {
            let event = api_event(
                "POST",
                "/v1/applications",
                Some(body.clone()),
                Some(&stranger),
                Some(lang),
            );
            let (status, reply) = response(&env.invoke(Function::Submit, event).await);
            assert_eq!(status, 403, "{what}: {reply}");
            assert_eq!(reply["error"]["code"], "kinship_not_confirmed", "{what}");
            let message = reply["error"]["message"].as_str().unwrap_or_default();
            let advice = match lang {
                "kk" => "аудандық білім бөліміне",
                "ru" => "отдел образования района",
                _ => "district education department",
            };
            assert!(message.contains(advice), "{what}, {lang}: {message}");
        }
        let (status, journal) = env
            .http("GET", "/v1/applications", None, Some(&stranger))
            .await;
        assert_eq!(
            (status, journal),
            (200, json!([])),
            "{what}: nothing written"
        );
        let (status, app) = env
            .http("POST", "/v1/applications", Some(body), Some(&env.parent()))
            .await;
        assert_eq!(status, 201, "{what}: {app}");
        let number = app["registration_number"].as_str().unwrap_or_default();
        assert!(
            number.ends_with(".1"),
            "{what}: no number was used by the refusals: {number}"
        );
    }
}
