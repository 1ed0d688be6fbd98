//! The use cases' public names in one place, for the HTTP layer, the Lambdas and the local runner:
//! the service, who calls, the inputs and the constants. The use cases themselves live by business
//! area (see [`crate::service`]).

pub use crate::access::{Principal, Role};
pub use crate::inputs::*;
pub use crate::notifications::{Delivered, REPUBLISH_AFTER, SEND_LEASE};
pub use crate::open_data::{OpenDataFormat, OpenDataQuery};
pub use crate::operations::STATS_DUE_LIMIT;
pub use crate::service::Service;
pub use crate::sweeps::SWEEP_PAGE;
