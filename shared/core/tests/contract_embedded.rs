//! The store-port contract suite (`kezek-contract`) against the embedded store.

use kezek_core::store_embedded::EmbeddedStore;
use std::sync::Arc;

kezek_contract::contract_tests!(|| async { Arc::new(EmbeddedStore::new()) });
