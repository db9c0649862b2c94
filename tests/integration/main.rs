//! One integration-test binary: every generated file checked by its real consumer.

mod common;
mod consumers;
mod doctor;
mod doctor_deployment;
mod examples;
mod hostile;
mod plan;
mod properties;
mod provider_scripts;
mod render_cli;
mod wizard;
