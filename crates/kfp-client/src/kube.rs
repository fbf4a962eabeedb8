//! The Kubernetes API from inside a pod, for what a pipeline's exit handler does: delete the
//! run's data volume (a PersistentVolumeClaim).
//!
//! In-cluster: the API server is `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`,
//! the pod's service-account token, namespace and cluster CA are files in
//! `/var/run/secrets/kubernetes.io/serviceaccount/`. The token is re-read before every
//! request (the kubelet rotates it) and never printed. Tests point
//! `KEDRO_KFP_KUBE_API_URL` at a fake server and `KEDRO_KFP_KUBE_SA_DIR` at a directory
//! holding `token` and `namespace`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::transport::{ApiError, Auth, Body, Request, Transport};

/// The service-account directory every pod gets.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Overrides the API server URL (tests; clusters that need another address).
pub const API_URL_ENV: &str = "KEDRO_KFP_KUBE_API_URL";
/// Overrides [`SERVICE_ACCOUNT_DIR`] (tests).
pub const SA_DIR_ENV: &str = "KEDRO_KFP_KUBE_SA_DIR";

/// Where the API server is and how to authenticate, as a pod sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InCluster {
    /// API server base URL.
    pub api_url: String,
    /// The service-account token file (re-read per request).
    pub token_path: PathBuf,
    /// The file holding the pod's namespace.
    pub namespace_path: PathBuf,
    /// The cluster CA; trusted when the file exists.
    pub ca_path: PathBuf,
}

/// Why the in-cluster settings are not there.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// Neither `KUBERNETES_SERVICE_HOST` nor the override is set: not in a pod.
    #[error(
        "not inside a Kubernetes pod: KUBERNETES_SERVICE_HOST is not set (or set {API_URL_ENV})"
    )]
    NotInCluster,
    /// A service-account file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The API call failed.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl InCluster {
    /// The settings from the environment (`var` reads one variable).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, KubeError> {
        let api_url = match var(API_URL_ENV).filter(|url| !url.is_empty()) {
            Some(url) => url,
            None => {
                let host = var("KUBERNETES_SERVICE_HOST")
                    .filter(|host| !host.is_empty())
                    .ok_or(KubeError::NotInCluster)?;
                let port = var("KUBERNETES_SERVICE_PORT").unwrap_or_else(|| "443".to_owned());
                // An IPv6 address needs brackets in a URL.
                if host.contains(':') {
                    format!("https://[{host}]:{port}")
                } else {
                    format!("https://{host}:{port}")
                }
            }
        };
        let dir = PathBuf::from(var(SA_DIR_ENV).unwrap_or_else(|| SERVICE_ACCOUNT_DIR.to_owned()));
        Ok(Self {
            api_url,
            token_path: dir.join("token"),
            namespace_path: dir.join("namespace"),
            ca_path: dir.join("ca.crt"),
        })
    }

    /// The pod's namespace.
    pub fn namespace(&self) -> Result<String, KubeError> {
        Ok(read(&self.namespace_path)?.trim().to_owned())
    }

    /// A client authenticated with the token file.
    pub fn client(&self) -> Result<Kube, KubeError> {
        let ca = match std::fs::read(&self.ca_path) {
            Ok(pem) => Some(pem),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(KubeError::File {
                    path: self.ca_path.clone(),
                    source,
                });
            }
        };
        let transport = Transport::with_root_certificate(
            &self.api_url,
            Auth::TokenFile(self.token_path.clone()),
            Duration::from_millis(500),
            ca.as_deref(),
        )?;
        Ok(Kube { transport })
    }
}

fn read(path: &Path) -> Result<String, KubeError> {
    std::fs::read_to_string(path).map_err(|source| KubeError::File {
        path: path.to_owned(),
        source,
    })
}

/// What deleting a volume did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The claim is deleted (or being deleted once no pod uses it).
    Deleted,
    /// There was no such claim: nothing to do.
    NotFound,
}

/// A Kubernetes API client.
#[derive(Debug, Clone)]
pub struct Kube {
    transport: Transport,
}

impl Kube {
    /// `DELETE /api/v1/namespaces/{namespace}/persistentvolumeclaims/{name}`; a claim that
    /// does not exist (already deleted, or never created because the run failed early) is
    /// not an error.
    pub fn delete_pvc(&self, namespace: &str, name: &str) -> Result<Deleted, KubeError> {
        let request = Request {
            method: Method::DELETE,
            path: format!(
                "/api/v1/namespaces/{}/persistentvolumeclaims/{}",
                segment(namespace),
                segment(name)
            ),
            query: Vec::new(),
            body: Body::Empty,
        };
        match self.transport.send(&request) {
            Ok(_) => Ok(Deleted::Deleted),
            Err(error) if error.status() == Some(StatusCode::NOT_FOUND) => Ok(Deleted::NotFound),
            Err(error) => Err(error.into()),
        }
    }
}

/// Kubernetes names are DNS labels; anything else is percent-encoded so it stays one path
/// segment.
fn segment(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn in_cluster_settings_come_from_the_service_environment() {
        let settings = InCluster::from_env(env(&[
            ("KUBERNETES_SERVICE_HOST", "10.0.0.1"),
            ("KUBERNETES_SERVICE_PORT", "6443"),
        ]))
        .expect("in cluster");
        assert_eq!(settings.api_url, "https://10.0.0.1:6443");
        assert_eq!(
            settings.token_path,
            Path::new("/var/run/secrets/kubernetes.io/serviceaccount/token")
        );
        let ipv6 = InCluster::from_env(env(&[("KUBERNETES_SERVICE_HOST", "fd00::1")]))
            .expect("in cluster");
        assert_eq!(ipv6.api_url, "https://[fd00::1]:443");
        let overridden = InCluster::from_env(env(&[
            (API_URL_ENV, "http://127.0.0.1:1234"),
            (SA_DIR_ENV, "/tmp/sa"),
        ]))
        .expect("override");
        assert_eq!(overridden.api_url, "http://127.0.0.1:1234");
        assert_eq!(overridden.namespace_path, Path::new("/tmp/sa/namespace"));
        assert!(matches!(
            InCluster::from_env(env(&[])),
            Err(KubeError::NotInCluster)
        ));
    }

    #[test]
    fn names_stay_one_path_segment() {
        assert_eq!(segment("run-abc.data-volume"), "run-abc.data-volume");
        assert_eq!(segment("../x/y"), "..%2Fx%2Fy");
    }
}
