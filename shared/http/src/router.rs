//! The axum routers of the route table: every route for the local runner, a function's own
//! routes for its Lambda (`lambda_http::run(router)`). A path served with other methods answers
//! 405, an unknown path 404, both in the contract's error shape; a trailing slash is the same
//! route.

use crate::call::Call;
use crate::error::HttpError;
use crate::routes::{Answer, Handler, Reply, Route, TABLE};
use crate::{error_response, json_response, language, text_response, Api, MAX_BODY};
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use kezek_core::Failure;
use std::collections::BTreeMap;

impl Api {
    /// Every route of the API.
    pub fn router(&self) -> Router {
        self.router_of(|_| true)
    }

    /// The routes of one Lambda function (`functions/<function>`).
    pub fn function_router(&self, function: &str) -> Router {
        let function = function.to_owned();
        self.router_of(move |r| r.function == function)
    }

    /// The routes of the table `keep` keeps.
    pub fn router_of(&self, keep: impl Fn(&Route) -> bool) -> Router {
        let mut paths: BTreeMap<&'static str, MethodRouter<Api>> = BTreeMap::new();
        for route in TABLE.iter().filter(|r| keep(r)) {
            let (template, handler) = (route.path, route.handler);
            let filter = match route.method {
                "GET" => MethodFilter::GET,
                "PUT" => MethodFilter::PUT,
                "DELETE" => MethodFilter::DELETE,
                "PATCH" => MethodFilter::PATCH,
                _ => MethodFilter::POST,
            };
            let method = on(filter, move |State(api): State<Api>, req: Request| {
                serve(api, template, handler, req)
            });
            let merged = match paths.remove(route.path) {
                Some(m) => m.merge(method),
                None => method,
            };
            paths.insert(route.path, merged);
        }
        let mut router = Router::new();
        for (path, methods) in paths {
            let refuse =
                move |State(api): State<Api>, req: Request| method_not_allowed(api, path, req);
            router = router.route(path, methods.fallback(refuse));
        }
        let inner = router.fallback(route_not_found).with_state(self.clone());
        // A trailing slash is the same route: what matched nothing is tried once without it.
        let retry = inner.clone();
        let api = self.clone();
        inner.fallback(move |req: Request| async move {
            let lang = language(req.headers());
            let path = req.uri().path();
            if path.len() > 1 && path.ends_with('/') {
                if let Some(req) = without_trailing_slash(req) {
                    return tower::ServiceExt::oneshot(retry, req)
                        .await
                        .unwrap_or_else(|e| match e {});
                }
            }
            error_response(not_found(), lang, &api.service)
        })
    }
}

fn without_trailing_slash(req: Request) -> Option<Request> {
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().trim_end_matches('/');
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let mut uri = parts.uri.clone().into_parts();
    uri.path_and_query = Some(path_and_query.parse().ok()?);
    parts.uri = lambda_http::http::Uri::from_parts(uri).ok()?;
    Some(Request::from_parts(parts, body))
}

/// Reads the body (up to [`MAX_BODY`]), runs the route's handler and answers in the contract's
/// shape; every failure is logged with its code, a 5xx as an error.
async fn serve(api: Api, template: &'static str, handler: Handler, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, MAX_BODY).await.ok();
    let call = Call::new(
        template,
        parts.uri.path(),
        parts.uri.query(),
        parts.headers,
        body,
    );
    let lang = call.lang;
    let result: Reply = handler(api.clone(), call).await;
    match result {
        Ok((status, Answer::Json(body))) => json_response(status, &body),
        Ok((
            status,
            Answer::Text {
                content_type,
                body,
                headers,
            },
        )) => text_response(status, content_type, body, &headers),
        Err(e) => {
            // The route's template, never the path: a path or query may carry an IIN, a phone,
            // an e-mail or a token.
            let method = &parts.method;
            if e.http_status() >= 500 {
                tracing::error!(%method, route = template, error = %e, "request failed");
            } else {
                tracing::info!(%method, route = template, code = e.code(), "request refused");
            }
            error_response(e, lang, &api.service)
        }
    }
}

async fn method_not_allowed(api: Api, route: &'static str, req: Request) -> Response {
    let lang = language(req.headers());
    tracing::info!(method = %req.method(), route, code = "method_not_allowed", "request refused");
    error_response(HttpError::MethodNotAllowed, lang, &api.service)
}

async fn route_not_found(State(api): State<Api>, req: Request) -> Response {
    let lang = language(req.headers());
    error_response(not_found(), lang, &api.service)
}

fn not_found() -> HttpError {
    HttpError::Core(Failure::NotFound {
        code: "route_not_found",
    })
}
