//! Per-step resources and extra volumes in the KFP v2 IR's terms.

use std::collections::BTreeMap;

use kfp_config::Quantity;
use kfp_config::kubeflow::ExtraVolume;
use kfp_ir as ir;
use serde_json::Value;

use crate::CompileError;
use crate::ir::Target;
use crate::names::dns_label;

/// Resource keys that count accelerators rather than size a container.
const GPU_KEYS: &[&str] = &[
    "gpu",
    "nvidia.com/gpu",
    "amd.com/gpu",
    "tpu",
    "google.com/tpu",
];
/// Vertex reads the accelerator type from this node selector (as kedro-vertexai does).
const ACCELERATOR_LABEL: &str = "cloud.google.com/gke-accelerator";
const BYTES_PER_GB: f64 = 1e9;

/// cpu and memory as both request and limit (as kedro-kubeflow sets them), in the quantity
/// strings of KFP ≥ 2.4 and the deprecated doubles (vCPU, GB) of older backends and Vertex;
/// a GPU count as the accelerator, typed by the node selector on Vertex.
pub(crate) fn ir_resources(
    resources: &BTreeMap<String, Option<Quantity>>,
    selectors: &BTreeMap<String, String>,
    target: &Target<'_>,
    step: &str,
) -> Result<Option<ir::ResourceSpec>, CompileError> {
    let mut spec = ir::ResourceSpec::default();
    for (key, quantity) in resources {
        let Some(quantity) = quantity else { continue };
        match key.as_str() {
            "cpu" => {
                spec.resource_cpu_limit = Some(quantity.to_string());
                spec.resource_cpu_request = Some(quantity.to_string());
                spec.cpu_limit = Some(quantity.to_f64());
                spec.cpu_request = Some(quantity.to_f64());
            }
            "memory" => {
                spec.resource_memory_limit = Some(quantity.to_string());
                spec.resource_memory_request = Some(quantity.to_string());
                spec.memory_limit = Some(quantity.to_f64() / BYTES_PER_GB);
                spec.memory_request = Some(quantity.to_f64() / BYTES_PER_GB);
            }
            gpu if GPU_KEYS.contains(&gpu) => {
                let kind = match target {
                    Target::Vertex { .. } => {
                        selectors.get(ACCELERATOR_LABEL).cloned().ok_or_else(|| {
                            CompileError::MissingAccelerator {
                                step: step.to_owned(),
                            }
                        })?
                    }
                    Target::Kubeflow(_) if gpu == "gpu" => "nvidia.com/gpu".to_owned(),
                    Target::Kubeflow(_) => gpu.to_owned(),
                };
                let count = quantity.to_string();
                spec.accelerator = Some(ir::AcceleratorConfig {
                    kind: kind.clone(),
                    count: count.clone(),
                    resource_type: kind,
                    resource_count: count,
                });
            }
            other => {
                return Err(CompileError::UnsupportedResource {
                    step: step.to_owned(),
                    resource: other.to_owned(),
                });
            }
        }
    }
    Ok((spec != ir::ResourceSpec::default()).then_some(spec))
}

/// An extra volume in kfp-kubernetes terms. The IR has no general pod volume, so only the
/// sources kfp-kubernetes can mount are accepted.
pub(crate) fn add_extra_volume(
    config: &mut ir::KubernetesExecutorConfig,
    volume: &ExtraVolume,
    step: &str,
    config_file: &str,
) -> Result<(), CompileError> {
    let name = dns_label(&volume.volume.name);
    let mount_path = volume.mount_path.clone();
    for (kind, source) in &volume.volume.sources {
        let param = |key: &str| {
            source
                .params
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let required = |key: &str| {
            param(key).ok_or_else(|| CompileError::InvalidValue {
                config_file: config_file.to_owned(),
                key: format!("run_config.extra_volumes (step `{step}`).volume.{kind}.params.{key}"),
                message: "is required".to_owned(),
            })
        };
        match kind.as_str() {
            "empty_dir" => config.empty_dir_mounts.push(ir::EmptyDirMount {
                volume_name: name.clone(),
                mount_path: mount_path.clone(),
                medium: param("medium"),
                size_limit: source
                    .params
                    .get("size_limit")
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
            }),
            "secret" => {
                let secret = required("secret_name")?;
                config.secret_as_volume.push(serde_json::json!({
                    "secretName": secret,
                    "secretNameParameter": {"runtimeValue": {"constant": secret}},
                    "mountPath": mount_path,
                }));
            }
            "config_map" => {
                let map = required("name")?;
                config.config_map_as_volume.push(serde_json::json!({
                    "configMapName": map,
                    "configMapNameParameter": {"runtimeValue": {"constant": map}},
                    "mountPath": mount_path,
                }));
            }
            "persistent_volume_claim" => {
                let claim = required("claim_name")?;
                config.pvc_mount.push(ir::PvcMount::new(
                    &mount_path,
                    ir::InputParameterSpec::RuntimeValue {
                        constant: Value::String(claim),
                    },
                ));
            }
            other => {
                return Err(CompileError::InvalidValue {
                    config_file: config_file.to_owned(),
                    key: format!("run_config.extra_volumes (step `{step}`).volume.{other}"),
                    message: "this volume type cannot be mounted by KFP v2; use empty_dir, secret, config_map or persistent_volume_claim".to_owned(),
                });
            }
        }
    }
    Ok(())
}
