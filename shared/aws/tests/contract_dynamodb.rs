//! The store contract suite against DynamoDB on the moto emulator.
mod common;

kezek_contract::contract_tests!(common::store);
