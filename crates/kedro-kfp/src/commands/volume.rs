//! `kedro kubeflow delete-pipeline-volume NAME`: what the exit handler of a run with
//! `volume.keep: false` runs in its pod, deleting the run's data volume through the
//! Kubernetes API with the pod's service-account token.

use kfp_client::kube::{Deleted, InCluster, KubeError};

use crate::cli::DeleteVolumeArgs;
use crate::diagnostics::{Failure, Status};
use crate::output;

pub(crate) fn delete(args: &DeleteVolumeArgs) -> Result<Status, Failure> {
    if !is_kubernetes_name(&args.name) {
        return Err(Failure::user(format!(
            "`{}` is not a volume name: lowercase letters, digits, `-` and `.`, at most 253",
            args.name
        )));
    }
    let settings = InCluster::from_env(|name| std::env::var(name).ok()).map_err(failure)?;
    let namespace = match &args.namespace {
        Some(namespace) => namespace.clone(),
        None => settings.namespace().map_err(failure)?,
    };
    let kube = settings.client().map_err(failure)?;
    match kube.delete_pvc(&namespace, &args.name).map_err(failure)? {
        Deleted::Deleted => output::status(&format!(
            "Deleted volume {} in namespace {namespace}",
            args.name
        )),
        Deleted::NotFound => output::status(&format!(
            "Volume {} does not exist in namespace {namespace}: nothing to delete",
            args.name
        )),
    }
    Ok(Status::Success)
}

fn failure(error: KubeError) -> Failure {
    let hint = match &error {
        KubeError::Api(api) if api.status().is_some_and(|s| s.as_u16() == 403) => Some(
            "the pipeline's service account needs `delete` on persistentvolumeclaims".to_owned(),
        ),
        _ => None,
    };
    Failure::user(format!("cannot delete the pipeline volume: {error}")).with_hint(hint)
}

/// A DNS-1123 subdomain, what Kubernetes accepts as an object name.
fn is_kubernetes_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name
            .split('.')
            .all(|part| !part.is_empty() && !part.starts_with('-') && !part.ends_with('-'))
}
