//! The HTTP suite of every route, on DynamoDB (moto) instead of the embedded store.
mod common;

#[path = "../../http/tests/suite/mod.rs"]
#[macro_use]
mod suite;

http_cases!(common::store());
