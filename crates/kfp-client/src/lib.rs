//! REST clients for the services kedro-kfp deploys to. Network and nothing else: no
//! printing, no config files; the binary decides what to show.

pub mod dex;
pub mod google;
pub mod kfp;
pub mod kube;
pub mod transport;
pub mod vertex;

pub use google::{GoogleAuth, GoogleCredentials, GoogleError, GoogleToken};
pub use kfp::{ApiVersion, Kfp, PipelineInfo, RecurringRunSpec, RunSpec, RunState, Uploaded};
pub use transport::{ApiError, Auth, Secret, Transport};
pub use vertex::Vertex;
