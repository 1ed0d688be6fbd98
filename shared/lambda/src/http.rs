//! The functions API Gateway starts: a function's router (its rows of the route table), the
//! invocation of the functions that also run on a schedule, and the authorizer.

use crate::events::ScheduleEvent;
use crate::{Error, Handler, Trigger};
use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerSimpleResponse;
use aws_lambda_events::sqs::SqsEvent;
use kezek_core::{Failure, Role};
use lambda_http::request::LambdaRequest;
use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::collections::HashMap;
use tower::ServiceExt;

/// What starts a function that serves routes and runs on a schedule: an API Gateway (HTTP API,
/// payload 2.0) request, the schedule's event, or (a sweep) a batch of its parts from its work
/// queue.
#[derive(Debug)]
pub enum Invocation {
    Http(Box<LambdaRequest>),
    Schedule(ScheduleEvent),
    Parts(SqsEvent),
}

impl<'de> Deserialize<'de> for Invocation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Invocation, D::Error> {
        use serde::de::Error as _;
        let v = Value::deserialize(d)?;
        if v.get("requestContext").is_some() && v.get("routeKey").is_some() {
            serde_json::from_value(v)
                .map(|r| Invocation::Http(Box::new(r)))
                .map_err(D::Error::custom)
        } else if v.get("Records").is_some() {
            serde_json::from_value(v)
                .map(Invocation::Parts)
                .map_err(D::Error::custom)
        } else {
            serde_json::from_value(v)
                .map(Invocation::Schedule)
                .map_err(D::Error::custom)
        }
    }
}

/// API Gateway's authorizer request (payload 2.0): the session token in `identitySource`, or
/// in the `authorization` header; for the operators' pages, the session cookie in `cookies`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerRequest {
    #[serde(default)]
    pub identity_source: Vec<String>,
    #[serde(default)]
    pub headers: HashMap<String, String>,
    #[serde(default)]
    pub cookies: Vec<String>,
    #[serde(default)]
    pub raw_path: String,
}

/// The operators' pages (`/admin`, `/admin/...`): behind the authorizer with their cookie.
fn is_desk_page(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

impl Handler {
    /// The axum router of this function's routes (every route's in the local runner is
    /// [`kezek_http::Api::router`]); a path of another function is 404 here.
    pub fn router(&self) -> axum::Router {
        if let Some(web) = &self.web {
            return web.router();
        }
        match &self.api {
            Some(api) => api.function_router(self.function.name()),
            None => axum::Router::new(),
        }
    }

    /// One invocation of an API or scheduled function: a request goes through the router as
    /// `lambda_http::run` takes it (its own conversion of the event and of the response), a
    /// schedule's event to the sweep or the voucher runs.
    pub async fn invoke(&self, event: LambdaEvent<Invocation>) -> Result<Value, Error> {
        let LambdaEvent { payload, context } = event;
        match payload {
            Invocation::Http(request) => {
                let adapter = lambda_http::Adapter::from(self.router());
                let response = adapter.oneshot(LambdaEvent::new(*request, context)).await?;
                Ok(serde_json::to_value(response)?)
            }
            Invocation::Schedule(event) if self.function.trigger() == Trigger::Schedule => {
                self.scheduled(event).await
            }
            Invocation::Parts(batch) if self.function.sweeps() => {
                let deadline = context.deadline;
                Ok(serde_json::to_value(self.parts(batch, deadline).await)?)
            }
            Invocation::Schedule(_) | Invocation::Parts(_) => {
                Err(format!("{}: not an API Gateway request", self.function.name()).into())
            }
        }
    }

    /// Authorized only for a valid, unexpired session of an operator (simple response). The
    /// functions still check the districts.
    ///
    /// The operators' pages carry their session in the portal's cookie, and a page must be
    /// able to send a signed-out visitor to the login (remembering where they were going): so
    /// on `/admin…` no session cookie, or an expired one, passes (the page then renders
    /// nothing but that redirect), an operator's valid session passes, and a parent's session
    /// or a forged token is refused here, before the web function runs.
    pub fn authorize(
        &self,
        request: AuthorizerRequest,
    ) -> ApiGatewayV2CustomAuthorizerSimpleResponse {
        if is_desk_page(&request.raw_path) {
            return self.authorize_page(&request);
        }
        let header = request
            .identity_source
            .first()
            .or_else(|| request.headers.get("authorization"))
            .map(String::as_str)
            .unwrap_or_default();
        let token = kezek_http::session::bearer_token(header).unwrap_or_default();
        let who = self
            .sessions
            .as_ref()
            .ok_or(Failure::Unauthorized {
                code: "unauthorized",
            })
            .and_then(|s| s.verify(token));
        let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
        match who {
            Ok(p) if p.role == Role::Operator => {
                response.is_authorized = true;
                response.context =
                    serde_json::json!({ "role": "operator", "districts": p.districts.join(",") });
            }
            Ok(_) => tracing::info!(code = "forbidden", "authorizer refused"),
            Err(f) => tracing::info!(code = f.code(), "authorizer refused"),
        }
        response
    }

    fn authorize_page(
        &self,
        request: &AuthorizerRequest,
    ) -> ApiGatewayV2CustomAuthorizerSimpleResponse {
        let prefix = format!("{}=", kezek_web::SESSION_COOKIE);
        let token = request
            .cookies
            .iter()
            .flat_map(|c| c.split(';'))
            .map(str::trim)
            .find_map(|c| c.strip_prefix(prefix.as_str()));
        let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            response.is_authorized = true; // signed out: the page sends them to the login
            return response;
        };
        let who = self
            .sessions
            .as_ref()
            .ok_or(Failure::Unauthorized {
                code: "unauthorized",
            })
            .and_then(|s| s.verify(token));
        match who {
            Ok(p) if p.role == Role::Operator => response.is_authorized = true,
            Err(Failure::Unauthorized {
                code: "session_expired",
            }) => response.is_authorized = true, // the page sends them to the login
            Ok(_) => tracing::info!(code = "forbidden", page = true, "authorizer refused"),
            Err(f) => tracing::info!(code = f.code(), page = true, "authorizer refused"),
        }
        response
    }
}
