//! REST clients for the services kedro-kfp deploys to. Network and nothing else: no
//! printing, no config files; the binary decides what to show.

pub mod dex;
pub mod kfp;
pub mod kube;
pub mod transport;

pub use kfp::{ApiVersion, Kfp, PipelineInfo, RecurringRunSpec, RunSpec, RunState, Uploaded};
pub use transport::{ApiError, Auth, Secret, Transport};
