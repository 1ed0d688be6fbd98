//! The one route table of the API: each route's method and path (API Gateway's route key), the
//! Lambda function that serves it (`functions/<name>`) and its handler. The axum routers
//! ([`crate::Api::router`]), `Function::routes` of `kezek-lambda`, `infra/openapi.yaml` and
//! `events/` all follow this table (the last two checked by `tests/infra.rs`).
//!
//! A handler parses the request into the feature's input (401 before 400, as the contract
//! says), calls one use case (which asks the access policy) and maps the result.

use crate::call::Call;
use crate::error::HttpError;
use crate::{Api, DEFAULT_QUEUE_VIEW, MAX_QUEUE_VIEW};
use kezek_core::domain::SignedWith;
use kezek_core::lifecycle::Sweep;
use kezek_core::usecases::*;
use kezek_core::Failure;
use lambda_http::http::StatusCode as C;
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// A handler's answer: a JSON body (every route but one), or text of another type with its
/// own headers (the open data's CSV).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Json(serde_json::Value),
    Text {
        content_type: &'static str,
        body: String,
        /// Extra response headers (names in lowercase).
        headers: Vec<(&'static str, String)>,
    },
}

/// A handler's result: a status and its answer.
pub type Reply = Result<(C, Answer), HttpError>;

/// A route's handler.
pub type Handler = fn(Api, Call) -> Pin<Box<dyn Future<Output = Reply> + Send>>;

/// One route of the table.
#[derive(Clone, Copy)]
pub struct Route {
    /// `GET`, `POST`, `PUT`.
    pub method: &'static str,
    /// The path template (`/v1/applications/{id}`), as API Gateway and axum write it.
    pub path: &'static str,
    /// The Lambda function that serves it (its crate name under `functions/`).
    pub function: &'static str,
    pub handler: Handler,
}

impl Route {
    /// API Gateway's route key: `POST /v1/applications/{id}/voucher/confirm`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

macro_rules! routes {
    ($($method:literal $path:literal => $function:literal, $handler:path;)*) => {
        /// Every route this layer serves, as API Gateway route keys (`METHOD /path/{param}`).
        pub const ROUTES: &[&str] = &[$(concat!($method, " ", $path)),*];
        /// Every route with its function and handler, in the order of [`ROUTES`].
        pub const TABLE: &[Route] = &[$(Route {
            method: $method,
            path: $path,
            function: $function,
            handler: |api, call| Box::pin($handler(api, call)),
        }),*];
    };
}

routes! {
    "GET" "/v1/health" => "read-api", health;
    "GET" "/v1/districts" => "read-api", districts;
    "GET" "/v1/kindergartens" => "read-api", kindergartens;
    "GET" "/v1/public/voucher-runs" => "read-api", voucher_run_log;
    "GET" "/v1/public/queue" => "read-api", open_data;
    "GET" "/v1/public/queue/{registration_number}" => "read-api", public_queue_check;
    "POST" "/v1/auth/otp" => "auth", request_code;
    "POST" "/v1/auth/otp/verify" => "auth", login_with_code;
    "POST" "/v1/auth/eds/challenge" => "auth", eds_challenge;
    "POST" "/v1/auth/eds/verify" => "auth", login_with_eds;
    "GET" "/v1/me" => "profile", profile;
    "PUT" "/v1/me" => "profile", update_profile;
    "POST" "/v1/me/children" => "profile", link_child;
    "POST" "/v1/applications" => "submit", submit;
    "GET" "/v1/applications" => "read-api", journal;
    "GET" "/v1/applications/{id}" => "read-api", application;
    "GET" "/v1/applications/{id}/history" => "read-api", history;
    "GET" "/v1/applications/{id}/queue-history" => "read-api", queue_history;
    "GET" "/v1/applications/{id}/wait-estimate" => "read-api", wait_estimate;
    "GET" "/v1/applications/{id}/documents" => "documents", documents;
    "POST" "/v1/applications/{id}/reconfirm" => "confirm", reconfirm;
    "POST" "/v1/applications/{id}/voucher/confirm" => "confirm", confirm_voucher;
    "POST" "/v1/applications/{id}/voucher/extend" => "parent-actions", extend;
    "POST" "/v1/applications/{id}/voucher/refuse" => "parent-actions", refuse;
    "POST" "/v1/applications/{id}/kindergarten" => "select-kindergarten", choose;
    "POST" "/v1/applications/{id}/restore" => "parent-actions", restore;
    "POST" "/v1/applications/{id}/withdraw" => "parent-actions", withdraw;
    "POST" "/v1/documents" => "documents", request_upload;
    "POST" "/v1/admin/kindergartens" => "operator", create_kindergarten;
    "PUT" "/v1/admin/kindergartens/{id}" => "operator", update_kindergarten;
    "PUT" "/v1/admin/kindergartens/{id}/places" => "operator", set_places;
    "POST" "/v1/admin/voucher-runs" => "issue-voucher", voucher_run;
    "GET" "/v1/admin/queue" => "operator", queue;
    "GET" "/v1/admin/stats" => "operator", stats;
    "POST" "/v1/admin/privileges/{application_id}/reject" => "operator", reject_privilege;
    "POST" "/v1/admin/privileges/{application_id}/verify" => "operator", verify_privilege;
    "POST" "/v1/admin/sweeps/expiry" => "expiry-sweep", expiry_sweep;
    "POST" "/v1/admin/sweeps/reconfirmation" => "reconfirmation-reminder", reconfirmation_sweep;
}

fn ok<T: Serialize>(status: C, v: T) -> Reply {
    serde_json::to_value(v)
        .map(|j| (status, Answer::Json(j)))
        .map_err(|e| Failure::Unavailable(format!("serialize: {e}")).into())
}

// ----- public

async fn health(api: Api, _: Call) -> Reply {
    api.service.health().await?;
    ok(C::OK, serde_json::json!({"status": "ok"}))
}

async fn districts(api: Api, _: Call) -> Reply {
    ok(C::OK, api.service.districts())
}

async fn kindergartens(api: Api, call: Call) -> Reply {
    ok(C::OK, api.service.catalogue(call.query()?).await?)
}

async fn public_queue_check(api: Api, call: Call) -> Reply {
    let view = api
        .service
        .public_queue_check(call.param(0), call.lang)
        .await?;
    ok(C::OK, view)
}

/// The response header that carries the head of the district's run log (`<seq> <hash>`).
pub const RUN_LOG_HEAD_HEADER: &str = "kezek-run-log-head";

/// A district's queue as open data, JSON or CSV; both carry the run log's head in a header
/// too (the JSON also in its body).
async fn open_data(api: Api, call: Call) -> Reply {
    let q: OpenDataQuery = call.query()?;
    let (data, format) = api
        .service
        .open_data(q.district.as_deref(), q.format.as_deref())
        .await?;
    let headers = data
        .run_log_head
        .iter()
        .map(|h| (RUN_LOG_HEAD_HEADER, h.header_value()))
        .collect();
    Ok((
        C::OK,
        Answer::Text {
            content_type: format.content_type(),
            body: data.body(format)?,
            headers,
        },
    ))
}

async fn voucher_run_log(api: Api, call: Call) -> Reply {
    ok(C::OK, api.service.run_log(call.query()?).await?)
}

// ----- identity

async fn request_code(api: Api, call: Call) -> Reply {
    let sent = api.identity.request_code(call.body()?, call.lang).await?;
    ok(C::ACCEPTED, sent)
}

async fn login_with_code(api: Api, call: Call) -> Reply {
    let login = api.identity.login_with_code(call.body()?).await?;
    api.session(login).await
}

async fn eds_challenge(api: Api, call: Call) -> Reply {
    call.optional_body()?;
    ok(C::OK, api.identity.challenge().await?)
}

async fn login_with_eds(api: Api, call: Call) -> Reply {
    let login = api.identity.login_with_eds(call.body()?).await?;
    api.session(login).await
}

// ----- profile and linking

async fn profile(api: Api, call: Call) -> Reply {
    ok(C::OK, api.service.profile(&call.who(&api)?).await?)
}

async fn update_profile(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    ok(C::OK, api.service.update_profile(&who, call.body()?).await?)
}

async fn link_child(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let v = api
        .service
        .link_child(&who, call.body()?, call.lang)
        .await?;
    ok(C::OK, v)
}

// ----- applications

async fn submit(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let input: SubmitInput = call.body()?;
    let raw: serde_json::Value = call.body()?;
    let signed = api.sign_off(&who, Some(&raw)).await?;
    let v = api
        .service
        .submit_signed(&who, input, signed, call.lang)
        .await?;
    ok(C::CREATED, v)
}

async fn journal(api: Api, call: Call) -> Reply {
    ok(
        C::OK,
        api.service.journal(&call.who(&api)?, call.lang).await?,
    )
}

async fn application(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    ok(
        C::OK,
        api.service
            .application(&who, call.param(0), call.lang)
            .await?,
    )
}

async fn history(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    ok(
        C::OK,
        api.service.history(&who, call.param(0), call.lang).await?,
    )
}

async fn wait_estimate(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let estimate = api
        .service
        .wait_estimate(&who, call.param(0), call.lang)
        .await?;
    ok(C::OK, estimate)
}

async fn queue_history(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let moves = api
        .service
        .queue_history(&who, call.param(0), call.lang)
        .await?;
    ok(C::OK, moves)
}

async fn documents(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    ok(C::OK, api.service.documents(&who, call.param(0)).await?)
}

async fn request_upload(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    ok(
        C::CREATED,
        api.service.request_upload(&who, call.body()?).await?,
    )
}

/// A parent action without input of its own: the body is empty, `{}`, or an object with the
/// signature when the access policy asks for one.
async fn act(api: Api, call: Call, action: ParentAction) -> Reply {
    let who = call.who(&api)?;
    let raw = call.optional_body()?;
    let signed = if kezek_core::access::needs_signature(action.operation()) {
        api.sign_off(&who, raw.as_ref()).await?
    } else {
        SignedWith::Session
    };
    let v = api
        .service
        .act_signed(&who, call.param(0), action, signed, call.lang)
        .await?;
    ok(C::OK, v)
}

async fn reconfirm(api: Api, call: Call) -> Reply {
    act(api, call, ParentAction::Reconfirm).await
}

async fn confirm_voucher(api: Api, call: Call) -> Reply {
    act(api, call, ParentAction::ConfirmVoucher).await
}

async fn extend(api: Api, call: Call) -> Reply {
    act(api, call, ParentAction::Extend).await
}

async fn refuse(api: Api, call: Call) -> Reply {
    act(api, call, ParentAction::Refuse).await
}

async fn restore(api: Api, call: Call) -> Reply {
    act(api, call, ParentAction::Restore).await
}

async fn withdraw(api: Api, call: Call) -> Reply {
    act(api, call, ParentAction::Withdraw).await
}

async fn choose(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let input: ChooseInput = call.body()?;
    let raw: serde_json::Value = call.body()?;
    let signed = api.sign_off(&who, Some(&raw)).await?;
    let v = api
        .service
        .act_signed(
            &who,
            call.param(0),
            ParentAction::Choose(input),
            signed,
            call.lang,
        )
        .await?;
    ok(C::OK, v)
}

// ----- operators

async fn create_kindergarten(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let v = api.service.create_kindergarten(&who, call.body()?).await?;
    ok(C::CREATED, v)
}

async fn update_kindergarten(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let v = api
        .service
        .update_kindergarten(&who, call.param(0), call.body()?)
        .await?;
    ok(C::OK, v)
}

async fn set_places(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let places: BTreeMap<String, i64> = call.body()?;
    ok(
        C::OK,
        api.service.set_places(&who, call.param(0), places).await?,
    )
}

async fn voucher_run(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    ok(
        C::OK,
        api.service.voucher_run(Some(&who), call.body()?).await?,
    )
}

async fn queue(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let q: BTreeMap<String, String> = call.query()?;
    let district = q
        .get("district")
        .ok_or(Failure::bad("missing_field", "district"))?;
    let age = q
        .get("age_group")
        .ok_or(Failure::bad("missing_field", "age_group"))?;
    let limit = match q.get("limit") {
        None => DEFAULT_QUEUE_VIEW,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_QUEUE_VIEW).contains(n))
            .ok_or(Failure::bad("invalid_field", "limit"))?,
    };
    ok(
        C::OK,
        api.service.admin_queue(&who, district, age, limit).await?,
    )
}

async fn stats(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let q: BTreeMap<String, String> = call.query()?;
    let district = q
        .get("district")
        .ok_or(Failure::bad("missing_field", "district"))?;
    ok(C::OK, api.service.stats(&who, district).await?)
}

async fn reject_privilege(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let v = api
        .service
        .reject_privilege(&who, call.param(0), call.body()?, call.lang)
        .await?;
    ok(C::OK, v)
}

async fn verify_privilege(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    let v = api
        .service
        .verify_privilege(&who, call.param(0), call.lang)
        .await?;
    ok(C::OK, v)
}

async fn expiry_sweep(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    ok(C::OK, api.service.sweep_as(&who, Sweep::Expiry).await?)
}

async fn reconfirmation_sweep(api: Api, call: Call) -> Reply {
    let who = call.who(&api)?;
    ok(
        C::OK,
        api.service.sweep_as(&who, Sweep::Reconfirmation).await?,
    )
}
