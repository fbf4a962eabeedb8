//! REST clients for the services kedro-kfp deploys to. Network and nothing else: no
//! printing, no config files; the binary decides what to show.

pub mod kfp;
pub mod kube;
pub mod transport;

pub use kfp::{ApiVersion, Kfp, PipelineInfo, RunSpec, RunState, Uploaded};
pub use transport::{ApiError, Auth, Secret, Transport};
